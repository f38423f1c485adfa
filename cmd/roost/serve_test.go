package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

// process runs this test binary as roost in a process of its own.
func process(t *testing.T, home, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--home", home}, args...)...)
	cmd.Env = append(os.Environ(), "ROOST_TEST_AS_ROOST=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("roost %s: %v", strings.Join(args, " "), err)
	}
	return result{code, out.String(), errb.String()}
}

// serveProcess starts roost serve on home in its own process and returns
// it with what it printed first (socket, webhooks address).
func serveProcess(t *testing.T, home string) (*exec.Cmd, map[string]any) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--home", home, "serve", "--addr", "127.0.0.1:0", "--json")
	cmd.Env = append(os.Environ(), "ROOST_TEST_AS_ROOST=1")
	stdout, _ := cmd.StdoutPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	first := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev["kind"] == "serving" {
				first <- ev
			}
		}
	}()
	select {
	case ev := <-first:
		return cmd, ev
	case <-time.After(60 * time.Second):
		t.Fatalf("roost serve did not start: %s", stderr.String())
	}
	return nil, nil
}

// TestServeOwnsTheHome: with roost serve running, other roost processes
// use the home at the same time through it, with the same output as
// without a service; a second serve is refused; a kill -9 of the service
// mid-request is reported, and the next command opens the home itself and
// finds every acknowledged change.
func TestServeOwnsTheHome(t *testing.T) {
	skipViaService(t, "it starts its own roost serve processes")
	if testing.Short() {
		t.Skip("-short: starts several roost processes")
	}
	companies := fakedata.Companies(30, 7)
	fake, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	var csv strings.Builder
	csv.WriteString("organizationName,orgSlug,managingOrgId,isEnabled\nRoost MSP,msp,,true\n")
	for _, c := range companies[:12] {
		fmt.Fprintf(&csv, "%q,,msp,true\n", c.Name)
	}
	orgsFile := filepath.Join(t.TempDir(), "orgs.csv")
	os.WriteFile(orgsFile, []byte(csv.String()), 0o644)

	// The story a user runs, each command a process of its own.
	story := [][]string{
		{"", "integrations", "install", "halopsa"},
		{"roost-secret\n", "integrations", "configure", "halopsa", "--set", "base_url=" + fake.URL(), "--set", "client_id=roost-client",
			"--secret", "client_secret", "--allow-private-networks"},
		{"", "orgs", "import", orgsFile},
		{"", "mapping", "refresh", "halopsa", "--page-size", "10"},
		{"", "mapping", "suggest", "halopsa"},
		{"", "mapping", "show", "halopsa", "--page", "2"},
		{"", "mapping", "save", "halopsa"},
		{"", "crates", "unpack", "psa-ticket-for-orgs", "--org", host.Slug(companies[0].Name), "--org", host.Slug(companies[1].Name)},
		{"", "integrations", "list"},
		{"", "orgs", "list"},
		{"", "crates", "list"},
		{"", "invoke", "halopsa", "get_client", "--input", fmt.Sprintf(`{"id":"%d"}`, 101)},
	}
	// What varies between two homes and two runs: times, durations, the
	// home's path.
	varying := regexp.MustCompile(`\d+(\.\d+)? ?(ms|µs|s|ns)\b|\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?|\d\d:\d\d|/tmp/\S+`)
	normalize := func(s string) string { return varying.ReplaceAllString(s, "…") }
	runStory := func(home string) []string {
		var outs []string
		for _, s := range story {
			r := process(t, home, s[0], s[1:]...)
			if r.code != 0 {
				t.Fatalf("roost %s: %+v", strings.Join(s[1:], " "), r)
			}
			outs = append(outs, normalize(r.stdout))
		}
		return outs
	}

	// Without a service: the reference.
	plain := runStory(newHome(t))

	home := newHome(t)
	svc, info := serveProcess(t, home)
	if r := process(t, home, "", "serve", "--addr", "127.0.0.1:0"); r.code == 0 || r.stdout != "" ||
		!strings.Contains(r.stderr, "already runs") || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", svc.Process.Pid)) {
		t.Fatalf("a second serve: %+v", r)
	}

	// While the story runs, other processes read at the same time.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var readErrs []string
	var mu sync.Mutex
	for _, args := range [][]string{{"integrations", "list"}, {"runs", "list"}, {"orgs", "list", "--json"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := process(t, home, "", args...); r.code != 0 {
					mu.Lock()
					readErrs = append(readErrs, fmt.Sprintf("%v: %+v", args, r))
					mu.Unlock()
				}
			}
		}()
	}
	served := runStory(home)
	close(stop)
	wg.Wait()
	if len(readErrs) > 0 {
		t.Errorf("reads beside the story failed:\n%s", strings.Join(readErrs, "\n"))
	}
	for i := range story {
		if served[i] != plain[i] {
			t.Errorf("roost %s through the service printed\n%s\nwithout one\n%s", strings.Join(story[i][1:], " "), served[i], plain[i])
		}
	}

	// A run by hand and one by webhook, both recorded.
	if r := process(t, home, "", "run", "open-review-ticket", "--org", host.Slug(companies[0].Name)); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	resp, err := http.Post(fmt.Sprintf("http://%s/hooks/psa-ticket-for-orgs/review?org=%s", info["webhooks"], host.Slug(companies[1].Name)),
		"application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var runs []map[string]any
		r := process(t, home, "", "runs", "list", "--json")
		json.Unmarshal([]byte(r.stdout), &runs)
		if len(runs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook's run was never recorded: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// kill -9 of the service while a request is in flight.
	target, _ := url.Parse(fake.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // the kill cuts the proxied request
	inFlight := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/Client") {
			select {
			case inFlight <- struct{}{}:
			default:
			}
			time.Sleep(3 * time.Second)
		}
		proxy.ServeHTTP(w, r)
	}))
	defer slow.Close()
	if r := process(t, home, "roost-secret\n", "integrations", "configure", "halopsa", "--config", "slow", "--set", "base_url="+slow.URL,
		"--set", "client_id=roost-client", "--secret", "client_secret", "--allow-private-networks", "--no-check"); r.code != 0 {
		t.Fatalf("configure slow: %+v", r)
	}
	refresh := exec.Command(os.Args[0], "--home", home, "mapping", "refresh", "halopsa", "--config", "slow")
	refresh.Env = append(os.Environ(), "ROOST_TEST_AS_ROOST=1")
	var refreshErr bytes.Buffer
	refresh.Stderr = &refreshErr
	if err := refresh.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inFlight:
	case <-time.After(30 * time.Second):
		t.Fatal("the refresh never reached the tool")
	}
	svc.Process.Signal(syscall.SIGKILL)
	svc.Wait()
	err = refresh.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitBusy || !strings.Contains(refreshErr.String(), "went away") ||
		!strings.Contains(refreshErr.String(), "run the command again") {
		t.Fatalf("refresh when the service died: %v: %s", err, refreshErr.String())
	}
	// No service now: the next commands open the home themselves.
	after := process(t, home, "", "orgs", "list")
	if after.code != 0 || normalize(after.stdout) != plain[9] {
		t.Fatalf("orgs list after the kill: %+v", after)
	}
	var listing struct {
		Installed []struct {
			Name   string `json:"name"`
			Mapped int    `json:"mapped"`
		} `json:"installed"`
	}
	if r := process(t, home, "", "integrations", "list", "--json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &listing) != nil ||
		len(listing.Installed) != 1 || listing.Installed[0].Mapped != 12 {
		t.Fatalf("the mapping saved before the kill: %+v", r)
	}
	var mapped []map[string]any
	r := process(t, home, "", "runs", "list", "--json")
	json.Unmarshal([]byte(r.stdout), &mapped)
	if r.code != 0 || len(mapped) != 2 {
		t.Fatalf("runs after the kill: %+v", r)
	}
	if r := process(t, home, "", "integrations", "show", "halopsa", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"slow"`) {
		t.Fatalf("the configuration saved before the kill: %+v", r)
	}
}
