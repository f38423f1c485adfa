// Command initloop is a test connector whose initializer never returns.
package main

import "github.com/roosthq/roost/sdk"

var sink int

func init() {
	for {
		sink++
	}
}

func init() {
	sdk.Serve(&sdk.Connector{Name: "initloop", Version: "1.0.0", Category: sdk.CategoryOther, Description: "Loops in init."})
}

func main() {}
