// Command faulty is a test connector that misbehaves on request, so the
// host's tests can show that every kind of guest fault is contained.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"time"

	"github.com/roosthq/roost/sdk"
)

var Connector = sdk.Connector{
	Name:        "faulty",
	Version:     "1.0.0",
	Category:    sdk.CategoryOther,
	Description: "Misbehaves on request, for tests.",
	Config:      []sdk.Field{{Name: "base_url", Type: sdk.TypeURL}, {Name: "token", Type: sdk.TypeString, Secret: true}},
	Auth:        &sdk.Auth{Type: sdk.AuthHeader, Name: "X-Api-Key", Secret: "token"},
	Hosts:       []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("echo", "Returns its input.", echo),
		sdk.NewRawAction("raw_echo", "Returns its input bytes unparsed.", nil, nil, rawEcho),
		sdk.NewAction("noop", "Does nothing.", noop),
		sdk.NewAction("loop", "Never returns.", loop),
		sdk.NewAction("membomb", "Allocates until memory runs out.", membomb),
		sdk.NewAction("recurse", "Recurses without end.", recurse),
		sdk.NewAction("deadlock", "Blocks forever.", deadlock),
		sdk.NewAction("panic", "Panics (recoverably).", panicky),
		sdk.NewAction("gopanic", "Panics in another goroutine.", goPanic),
		sdk.NewAction("big", "Returns N bytes.", big),
		sdk.NewAction("logflood", "Logs without end.", logFlood),
		sdk.NewAction("spin", "Burns CPU for N iterations.", spin),
		sdk.NewAction("fetch", "GETs a URL through the host.", fetch),
		sdk.NewAction("kv", "Sets then gets a key.", kv),
		sdk.NewAction("config", "Returns the configuration it sees.", config),
		sdk.NewAction("sleep", "Sleeps for an hour.", sleep),
		sdk.NewAction("sandbox", "Reports what the sandbox lets it see.", sandbox),
	},
}

func init() {
	// Always hands back the same cursor: a connector bug the host must stop.
	Connector.Organizations = func(context.Context, sdk.PageRequest) (sdk.OrganizationPage, error) {
		return sdk.OrganizationPage{Accounts: []sdk.Account{{ID: "1", Name: "Again"}}, Next: "same"}, nil
	}
	sdk.Serve(&Connector)
}
func main() {}

type Msg struct {
	Data string `json:"data"`
	N    int    `json:"n,omitempty"`
}

func echo(_ context.Context, in Msg) (Msg, error) { return in, nil }

func rawEcho(_ context.Context, in []byte) ([]byte, error) { return append([]byte(nil), in...), nil }

func noop(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil }

var sink int

func loop(_ context.Context, _ struct{}) (struct{}, error) {
	for i := 0; ; i++ {
		sink = i
	}
}

var hoard [][]byte

func membomb(_ context.Context, _ struct{}) (struct{}, error) {
	for {
		hoard = append(hoard, make([]byte, 1<<20))
	}
}

func deep(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return deep(n+1) + int(pad[0])
}

func recurse(_ context.Context, _ struct{}) (struct{}, error) {
	sink = deep(0)
	return struct{}{}, nil
}

func deadlock(_ context.Context, _ struct{}) (struct{}, error) {
	<-make(chan struct{})
	return struct{}{}, nil
}

func panicky(_ context.Context, _ struct{}) (struct{}, error) { panic("boom") }

func goPanic(_ context.Context, _ struct{}) (struct{}, error) {
	done := make(chan struct{})
	go func() { panic("boom in a goroutine") }()
	<-done
	return struct{}{}, nil
}

func big(_ context.Context, in Msg) (Msg, error) {
	return Msg{Data: strings.Repeat("x", in.N)}, nil
}

func logFlood(ctx context.Context, _ struct{}) (struct{}, error) {
	log := sdk.Log(ctx)
	for i := 0; ; i++ {
		log.Info("flood", "i", i)
	}
}

func spin(_ context.Context, in Msg) (Msg, error) {
	x := 0
	for i := 0; i < in.N; i++ {
		x = x*31 + i
	}
	sink = x
	return Msg{N: in.N}, nil
}

type FetchOut struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Auth   string `json:"auth"`
}

func fetch(ctx context.Context, in Msg) (FetchOut, error) {
	resp, err := sdk.HTTP(ctx).Get(in.Data)
	if err != nil {
		return FetchOut{}, err
	}
	return FetchOut{Status: resp.Status, Body: string(resp.Body)}, nil
}

func kv(ctx context.Context, in Msg) (Msg, error) {
	store := sdk.KV(ctx)
	if _, found, err := store.Get("missing"); err != nil || found {
		return Msg{}, sdk.Errorf(sdk.CodeInternal, "get missing: found=%v err=%v", found, err)
	}
	if err := store.Set("k", []byte(in.Data)); err != nil {
		return Msg{}, err
	}
	v, found, err := store.Get("k")
	if err != nil || !found {
		return Msg{}, sdk.Errorf(sdk.CodeInternal, "get k: found=%v err=%v", found, err)
	}
	return Msg{Data: string(v)}, nil
}

func config(ctx context.Context, _ struct{}) (map[string]any, error) {
	var c map[string]any
	err := sdk.DecodeConfig(ctx, &c)
	return c, err
}

func sleep(context.Context, struct{}) (struct{}, error) {
	time.Sleep(time.Hour)
	return struct{}{}, nil
}

type SandboxOut struct {
	FileError string   `json:"file_error"`
	Env       []string `json:"env"`
	Args      []string `json:"args"`
	UnixMilli int64    `json:"unix_milli"`
	Random    string   `json:"random"`
}

func sandbox(context.Context, struct{}) (SandboxOut, error) {
	out := SandboxOut{Env: os.Environ(), Args: os.Args, UnixMilli: time.Now().UnixMilli()}
	if _, err := os.ReadFile("/etc/passwd"); err != nil {
		out.FileError = err.Error()
	}
	b := make([]byte, 16)
	rand.Read(b)
	out.Random = hex.EncodeToString(b)
	return out, nil
}
