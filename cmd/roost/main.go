// Command roost hosts Roost integrations: WebAssembly connectors to the
// tools a managed-service provider uses. Run "roost --help".
package main

import "os"

func main() {
	os.Exit(Run(os.Args, Options{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
