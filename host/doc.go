// Package host is Roost as a library: it loads connectors (WebAssembly
// modules written against docs/abi.md), runs them sandboxed and pooled, and
// lets a program call their actions.
//
//	h, err := host.Open(ctx, host.Config{Home: dir})
//	if err != nil { … }
//	defer h.Close(ctx)
//
//	conn, err := h.LoadFile(ctx, "hello.wasm")
//	if err != nil { … } // a *LoadError saying what is wrong with the module
//
//	client, err := conn.Configure(map[string]any{"greeting": "Hi"})
//	if err != nil { … } // a *ConfigError naming each bad field
//
//	out, err := client.Invoke(ctx, "greet", json.RawMessage(`{"name":"Ada"}`))
//	if err != nil { … } // a *CallError: the connector's own error or a fault
//
// A Host owns one WebAssembly runtime with a compilation cache under
// Config.Home; a Connector owns one compiled module and a bounded pool of
// instances over it; a Client is a Connector bound to one configuration.
// Closing a Host closes its Connectors. All are safe for concurrent use.
//
// Connectors run with no filesystem, environment or sockets. They reach the
// network only through the host, which allows the hosts the manifest
// declares, injects the credentials its Auth names, and refuses loopback and
// private addresses unless Config.HTTP.AllowPrivateNetworks is set.
package host
