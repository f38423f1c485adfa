# Roost tasks. Each recipe wraps plain go commands; nothing requires just.

wasm := "GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0"

# Build the roost command into bin/.
build:
    go build -o bin/roost ./cmd/roost

# Build every connector (bundled plugins and the examples) to bin/*.wasm.
plugins:
    mkdir -p bin
    for d in plugins/*/ examples/hello/ host/testdata/faulty/; do \
      [ -f "$d/main.go" ] || continue; \
      {{wasm}} go build -trimpath -buildmode=c-shared -o bin/$(basename $d).wasm ./$d; \
    done
    examples/hello-c/build.sh bin/hello-c.wasm

# The README's test command (what .ci/run runs, after gofmt and vet).
test:
    go test -race ./...

# Benchmarks behind the runtime's figures (docs/architecture.md).
bench:
    go test ./host -run '^$' -bench 'NoopCall|Echo64KiB/(go-raw|c)' -benchtime 20000x -count 5
    go test ./host -run '^$' -bench 'Echo64KiB/go-typed' -benchtime 30x -count 5
    go test ./host -run '^$' -bench 'FirstCallWarmCache' -benchtime 20x -count 5
    go test ./host -run '^$' -bench 'PoolParallel' -benchtime 100x -count 3
    go test ./host -run '^$' -bench 'WarmInstanceMemory' -benchtime 3x
    go test ./host -run '^$' -bench 'IntegrationsListProcess' -benchtime 20x -count 3
    go test ./host -run '^$' -bench 'ServiceProcess|ServiceCall' -benchtime 40x -count 3
    go test ./host/internal/match -run '^$' -bench 'Suggest10k|Suggest50k' -benchtime 3x -benchmem
    go test ./host -run '^$' -bench 'Refresh50k' -benchtime 3x
    go test ./host -run '^$' -bench 'ReloadLatency' -benchtime 5x
    go test ./host/internal/openapi -run '^$' -bench 'Import' -benchtime 3x -benchmem
    go test ./host -run '^$' -bench 'CustomCallOverhead' -benchtime 5000x -count 3
    go test ./host/internal/workflow -run '^$' -bench 'StepOverhead' -benchtime 2000x

# Rebuild the bundled connectors in plugins/dist from their sources.
bundle:
    go run ./cmd/bundle

# Formatting, vet and staticcheck (pinned, run through go run).
lint:
    test -z "$(gofmt -l $(git ls-files '*.go'))"
    go vet ./...
    go run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

# Fuzz the manifest and host-pattern parsers for a while each.
fuzz seconds="30":
    go test ./sdk/abi -run '^$' -fuzz FuzzManifest -fuzztime {{seconds}}s
    go test ./sdk/abi -run '^$' -fuzz FuzzHostPattern -fuzztime {{seconds}}s

# The README's first command.
demo:
    go run ./cmd/roost demo
