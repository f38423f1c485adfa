// Package sdktest helps connector authors test their connectors.
//
// New runs a connector natively, without WebAssembly: the test calls its
// actions, check and organizations capability through a fake host that
// behaves like Roost's (configuration without secrets, outbound hosts
// checked against the manifest, credentials injected as the manifest's Auth
// says, an in-memory key-value store, captured logs). Point the connector at
// an httptest.Server to fake the tool it talks to:
//
//	func TestGreet(t *testing.T) {
//		h := sdktest.New(t, &Connector, sdktest.Config{"greeting": "Hi"})
//		var out GreetOutput
//		if err := h.Invoke("greet", GreetInput{Name: "Ada"}, &out); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// Build compiles a connector package to a .wasm file, once per test process,
// for tests that load the real module into a host.
package sdktest
