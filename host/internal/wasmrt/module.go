package wasmrt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/roosthq/roost/sdk/abi"
)

// Module is one compiled, checked connector build with its instance pool.
// It is safe for concurrent use; Close it when done.
type Module struct {
	engine   *Engine
	rt       wazero.Runtime // the runtime compiled belongs to
	compiled wazero.CompiledModule
	manifest *abi.Manifest
	raw      json.RawMessage
	sha256   string
	size     int
	limits   Limits
	logger   *slog.Logger
	pool     *pool
}

// Info describes a loaded module.
type Info struct {
	SHA256 string // hex digest of the module bytes
	Size   int    // bytes
	ABI    string // the ABI version the manifest declares
}

// Load compiles wasm, checks that it is a Roost connector speaking this
// host's ABI, starts one instance and reads the manifest. source names the
// module in errors (a path or a name). Every failure is a *LoadError.
func (e *Engine) Load(ctx context.Context, source string, wasm []byte) (*Module, error) {
	m, err := e.load(ctx, source, wasm)
	if err != nil {
		return nil, &LoadError{Source: source, Err: err}
	}
	return m, nil
}

func (e *Engine) load(ctx context.Context, source string, wasm []byte) (*Module, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, fmt.Errorf("%w: the file does not start with the wasm magic bytes \\0asm", ErrNotWasm)
	}
	// Prefer the rewritten build, which stops itself cheaply; fall back to
	// wazero's own checks for code the rewrite does not handle.
	sum := sha256.Sum256(wasm)
	rt, instrumented := e.safe, false
	var compiled wazero.CompiledModule
	if rewritten, err := e.rewrite(sum, wasm); err == nil {
		if compiled, err = e.fast.CompileModule(ctx, rewritten); err == nil {
			rt, instrumented = e.fast, true
		} else {
			e.forgetRewrite(sum)
			e.logger.Warn("rewritten connector did not compile; running it with close-on-done checks", "source", source, "error", err)
		}
	} else {
		e.logger.Debug("connector not rewritten; running it with close-on-done checks", "source", source, "reason", err)
	}
	if !instrumented {
		var err error
		if compiled, err = e.safe.CompileModule(ctx, wasm); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidWasm, err)
		}
	}
	if err := checkShape(compiled, instrumented); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	m := &Module{
		engine:   e,
		rt:       rt,
		compiled: compiled,
		sha256:   hex.EncodeToString(sum[:]),
		size:     len(wasm),
		limits:   e.limits,
		logger:   e.logger,
	}
	m.pool = newPool(m.limits.PoolSize, m.newInstance)

	// The first instance reads the manifest, then serves calls.
	inst, err := m.pool.get(ctx, time.Now().Add(m.limits.CallTimeout))
	if err != nil {
		m.Close(ctx)
		if ce, ok := err.(*CallError); ok {
			return nil, fmt.Errorf("%w: %s: %s", ErrStartFailed, ce.Fault, ce.Message)
		}
		return nil, fmt.Errorf("%w: %v", ErrStartFailed, err)
	}
	raw, err := inst.describe(ctx)
	m.pool.put(inst, err == nil)
	if err != nil {
		m.Close(ctx)
		return nil, err
	}
	manifest, err := parseManifest(raw)
	if err != nil {
		m.Close(ctx)
		return nil, err
	}
	m.manifest, m.raw = manifest, raw
	m.logger = e.logger.With("connector", manifest.Name)
	return m, nil
}

// checkShape checks exports and imports before anything runs.
func checkShape(c wazero.CompiledModule, instrumented bool) error {
	exports := c.ExportedFunctions()
	var markers []string
	for name := range exports {
		if strings.HasPrefix(name, abi.MarkerPrefix) {
			markers = append(markers, name)
		}
	}
	_, hasStart := exports[abi.ExportStart]
	_, hasInit := exports[abi.ExportInitialize]
	if hasStart && !hasInit {
		return fmt.Errorf("%w: it exports _start; rebuild it as a reactor: for Go, GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared; for clang, -mexec-model=reactor", ErrCommandModule)
	}
	switch {
	case len(markers) == 0:
		return fmt.Errorf("%w: it exports no %s<N> marker function; build it with the Roost SDK or follow docs/abi.md", ErrNotConnector, abi.MarkerPrefix)
	case len(markers) > 1:
		sort.Strings(markers)
		return fmt.Errorf("%w: it exports several ABI markers (%s); export exactly one", ErrNotConnector, strings.Join(markers, ", "))
	case markers[0] != abi.ExportMarker:
		version := strings.TrimPrefix(markers[0], abi.MarkerPrefix)
		return &ABIMismatchError{Connector: version, Host: abi.Version, Hint: "rebuild it with an SDK for ABI v" + fmt.Sprint(abi.Major) + " or use a Roost that speaks v" + version}
	}

	want := map[string][2][]api.ValueType{
		abi.ExportMarker:   {nil, nil},
		abi.ExportDescribe: {nil, {api.ValueTypeI32}},
		abi.ExportHandle:   {{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, {api.ValueTypeI32}},
	}
	for name, sig := range want {
		def, ok := exports[name]
		if !ok {
			return fmt.Errorf("%w: it lacks the export %s", ErrNotConnector, name)
		}
		if !sameTypes(def.ParamTypes(), sig[0]) || !sameTypes(def.ResultTypes(), sig[1]) {
			return fmt.Errorf("%w: export %s has signature %s, want %s", ErrNotConnector, name, signature(def.ParamTypes(), def.ResultTypes()), signature(sig[0], sig[1]))
		}
	}
	if _, ok := c.ExportedMemories()[abi.ExportMemory]; !ok {
		return fmt.Errorf("%w: it does not export its memory as %q", ErrNotConnector, abi.ExportMemory)
	}

	for _, imp := range c.ImportedFunctions() {
		module, name, _ := imp.Import()
		switch {
		case module == "wasi_snapshot_preview1":
		case instrumented && module == tickModule && name == tickName:
		case module == abi.ImportModule:
			sig, ok := hostFunctionTypes[name]
			if !ok {
				return &ABIMismatchError{Connector: "1.x", Host: abi.Version, Hint: fmt.Sprintf("it imports %s.%s, which this host does not provide; it was built for a newer Roost", module, name)}
			}
			if !sameTypes(imp.ParamTypes(), sig[0]) || !sameTypes(imp.ResultTypes(), sig[1]) {
				return fmt.Errorf("%w: import %s.%s has signature %s, want %s", ErrNotConnector, module, name, signature(imp.ParamTypes(), imp.ResultTypes()), signature(sig[0], sig[1]))
			}
		case strings.HasPrefix(module, "roost_v"):
			return &ABIMismatchError{Connector: strings.TrimPrefix(module, "roost_v"), Host: abi.Version, Hint: fmt.Sprintf("it imports %s.%s", module, name)}
		default:
			return fmt.Errorf("%w: it imports %s.%s; a connector may import only %s and wasi_snapshot_preview1", ErrNotConnector, module, name, abi.ImportModule)
		}
	}
	return nil
}

func parseManifest(raw []byte) (*abi.Manifest, error) {
	var m abi.Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrBadManifest, err)
	}
	major, minor, err := abi.ParseVersion(m.ABI)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	if major != abi.Major {
		return nil, &ABIMismatchError{Connector: m.ABI, Host: abi.Version, Hint: "its manifest declares another major version"}
	}
	_ = minor // a newer minor is fine when its imports resolved (checked above)
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return &m, nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func signature(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return names(params) + " -> " + names(results)
}

// Manifest returns the connector's manifest. Do not modify it.
func (m *Module) Manifest() *abi.Manifest { return m.manifest }

// ManifestJSON returns the manifest as the connector wrote it.
func (m *Module) ManifestJSON() json.RawMessage { return m.raw }

// Info returns the module's digest, size and ABI version.
func (m *Module) Info() Info { return Info{SHA256: m.sha256, Size: m.size, ABI: m.manifest.ABI} }

// Stats describes the pool right now.
type Stats struct {
	Instances int // live instances, idle and busy
	Idle      int
	Retired   int64 // instances discarded so far
	// IdleMemoryBytes is the linear memory of the idle instances.
	IdleMemoryBytes uint64
}

// Stats returns the pool's counters.
func (m *Module) Stats() Stats { return m.pool.stats() }

// Close waits for calls in flight (until ctx is done), then closes every
// instance and the compiled module. Calls after Close fail with FaultClosed.
func (m *Module) Close(ctx context.Context) error {
	err := m.pool.close(ctx)
	if cerr := m.compiled.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Call runs one operation on a pooled instance and returns its JSON result.
// The call is bounded by ctx and by the CallTimeout limit; errors are
// *CallError.
func (m *Module) Call(ctx context.Context, env *Env, op abi.Op, name string, input []byte) ([]byte, error) {
	if len(input) > m.limits.MaxInputBytes {
		return nil, m.callError(op, name, &CallError{Code: abi.CodeTooLarge,
			Message: fmt.Sprintf("input is %d bytes, over the %d-byte cap", len(input), m.limits.MaxInputBytes)})
	}
	deadline := time.Now().Add(m.limits.CallTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	inst, err := m.pool.get(ctx, deadline)
	if err != nil {
		return nil, m.callError(op, name, err)
	}
	out, keep, err := inst.handle(ctx, deadline, env, op, name, input)
	m.pool.put(inst, keep)
	if err != nil {
		return nil, m.callError(op, name, err)
	}
	return out, nil
}

func (m *Module) callError(op abi.Op, name string, err error) error {
	opName := op.String()
	if op == abi.OpAction {
		opName = "action " + name
	}
	var ce *CallError
	if errors.As(err, &ce) {
		ce.Connector, ce.Op = m.manifest.Name, opName
		return ce
	}
	return &CallError{Connector: m.manifest.Name, Op: opName, Code: abi.CodeInternal, Message: err.Error()}
}
