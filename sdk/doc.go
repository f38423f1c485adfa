// Package sdk is what a Go connector author imports to write a Roost
// connector: a WebAssembly module that Roost's host loads, sandboxes and
// calls.
//
// A connector is a main package that declares a Connector and hands it to
// Serve from an init function:
//
//	var Connector = sdk.Connector{
//		Name:        "hello",
//		Version:     "0.1.0",
//		Category:    sdk.CategoryOther,
//		Description: "Says hello.",
//		Actions: []sdk.Action{
//			sdk.NewAction("greet", "Greets someone by name.", greet),
//		},
//	}
//
//	func init() { sdk.Serve(&Connector) }
//	func main() {}
//
//	type GreetInput struct {
//		Name string `json:"name" desc:"Who to greet."`
//	}
//	type GreetOutput struct {
//		Greeting string `json:"greeting"`
//	}
//
//	func greet(ctx context.Context, in GreetInput) (GreetOutput, error) {
//		sdk.Log(ctx).Info("greeting", "name", in.Name)
//		return GreetOutput{Greeting: "Hello, " + in.Name}, nil
//	}
//
// Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm .
//
// Inside an action, Log, HTTP, KV and DecodeConfig reach the host. Errors
// returned by an action cross to the host as structured errors: return an
// *Error (see Errorf) to choose the code; any other error becomes
// CodeInternal. A panic is recovered and becomes CodePanic.
//
// Package sdktest runs a connector natively, without WebAssembly, for unit
// tests. The wire contract itself is package abi and docs/abi.md.
package sdk
