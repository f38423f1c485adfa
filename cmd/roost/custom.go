package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/rest"
)

func integrationsNewCommand() *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "describe a custom integration by hand: base URL, auth, endpoints",
		ArgsUsage: "NAME",
		Description: `A custom integration runs on Roost's generic REST connector. Describe it with
flags, or with --from-file (YAML or JSON, the format "roost integrations edit
NAME --print" writes). Each endpoint becomes an action:

  roost integrations new acme --base-url https://api.acme.example --auth api_key --auth-name X-Api-Key \
    --endpoint "GET /tickets?status&page list_tickets" --endpoint "GET /tickets/{id} get_ticket" \
    --endpoint "POST /tickets create_ticket"

Path parameters come from {braces}, optional query parameters follow "?";
POST, PUT and PATCH take a JSON "body". Auth kinds: none, api_key (header or
--auth-in query, --auth-prefix such as "Token "), basic, bearer,
oauth2_client_credentials (--token-url, --scope, --token-request json,
--token-path data.token), oauth2_authorization_code (--authorize-url,
--token-url, --scope; then roost integrations authorize NAME signs in with
PKCE through a loopback redirect). Secrets are given later with roost integrations
configure. Then mark pagination and the organizations source with roost
integrations edit.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from-file", Usage: "the definition as YAML or JSON"},
			&cli.StringFlag{Name: "base-url", Usage: "the API's base URL"},
			&cli.StringFlag{Name: "description", Usage: "what the integration is for"},
			&cli.StringFlag{Name: "category", Usage: "PSA, RMM, Documentation, … (default Other)"},
			&cli.StringFlag{Name: "auth", Value: "none", Usage: "none, api_key, basic, bearer, oauth2_client_credentials or oauth2_authorization_code"},
			&cli.StringFlag{Name: "auth-name", Usage: "the API key's header or query parameter (default X-Api-Key)"},
			&cli.StringFlag{Name: "auth-in", Usage: "where the API key goes: header or query"},
			&cli.StringFlag{Name: "auth-prefix", Usage: "text before the API key, such as \"Token \""},
			&cli.StringFlag{Name: "token-url", Usage: "OAuth2 token URL"},
			&cli.StringFlag{Name: "authorize-url", Usage: "OAuth2 authorization URL (authorization code)"},
			&cli.StringSliceFlag{Name: "scope", Usage: "OAuth2 scope (repeatable)"},
			&cli.StringFlag{Name: "token-request", Usage: "OAuth2 token request encoding: form (default) or json"},
			&cli.StringFlag{Name: "token-path", Usage: "where the token is in the answer (default access_token)"},
			&cli.StringSliceFlag{Name: "header", Usage: "a header sent with every request, NAME=VALUE (repeatable; not for secrets)"},
			&cli.StringSliceFlag{Name: "endpoint", Usage: "\"METHOD /path name\" (repeatable)"},
			&cli.Float64Flag{Name: "rate-limit", Usage: "at most this many requests a second"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 && c.String("from-file") == "" {
				return usageErrorf("new takes one NAME (or --from-file)")
			}
			var def rest.Definition
			if f := c.String("from-file"); f != "" {
				raw, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				if err := decodeDefinition(raw, &def); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
			}
			if c.NArg() == 1 {
				def.Name = c.Args().First()
			}
			set := func(flag string, to *string) {
				if c.IsSet(flag) {
					*to = c.String(flag)
				}
			}
			set("base-url", &def.BaseURL)
			set("description", &def.Description)
			set("category", &def.Category)
			if c.IsSet("auth") || def.Auth.Kind == "" {
				def.Auth.Kind = c.String("auth")
			}
			set("auth-name", &def.Auth.Name)
			set("auth-in", &def.Auth.In)
			set("auth-prefix", &def.Auth.Prefix)
			set("token-url", &def.Auth.TokenURL)
			set("authorize-url", &def.Auth.AuthorizeURL)
			set("token-request", &def.Auth.TokenRequest)
			set("token-path", &def.Auth.TokenPath)
			if c.IsSet("scope") {
				def.Auth.Scopes = c.StringSlice("scope")
			}
			if c.IsSet("rate-limit") {
				def.RateLimit = c.Float64("rate-limit")
			}
			for _, kv := range c.StringSlice("header") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usageErrorf("--header %q: want NAME=VALUE", kv)
				}
				if def.Headers == nil {
					def.Headers = map[string]string{}
				}
				def.Headers[k] = v
			}
			for _, spec := range c.StringSlice("endpoint") {
				e, err := rest.ParseEndpoint(spec)
				if err != nil {
					return usageErrorf("%v", err)
				}
				def.Endpoints = append(def.Endpoints, e)
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			res, err := h.Integrations().InstallCustom(c.Context, &def, "custom")
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			w := c.App.Writer
			printf(w, "%s %s: custom integration with %d actions\n", res.Action, def.Name, len(def.Endpoints))
			return printf(w, "next: roost integrations configure %s --set base_url=…%s\n", def.Name, secretHint(def.Auth.Kind))
		},
	}
}

func secretHint(kind string) string {
	switch kind {
	case rest.AuthAPIKey:
		return " --secret api_key"
	case rest.AuthBasic:
		return " --set username=… --secret password"
	case rest.AuthBearer:
		return " --secret token"
	case rest.AuthClientCredentials:
		return " --set client_id=… --secret client_secret"
	case rest.AuthAuthorizationCode:
		return " --set client_id=…; then: roost integrations authorize NAME"
	}
	return ""
}

func decodeDefinition(raw []byte, def *rest.Definition) error {
	var generic any
	if err := yaml.Unmarshal(raw, &generic); err != nil {
		return err
	}
	j, err := json.Marshal(normalizeYAML(generic))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(j)))
	dec.DisallowUnknownFields()
	return dec.Decode(def)
}

// normalizeYAML turns YAML's map[string]any (and any) trees into what JSON
// encodes.
func normalizeYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeYAML(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = normalizeYAML(x)
		}
	}
	return v
}

func integrationsImportOpenAPICommand() *cli.Command {
	return &cli.Command{
		Name:      "import-openapi",
		Usage:     "make a custom integration from an OpenAPI (3.x) or Swagger (2.0) document",
		ArgsUsage: "FILE|URL",
		Description: `Every operation becomes an action (named from its operationId, else from the
method and path), with its input from the parameters and request body and its
output from the success response; the security scheme becomes the auth, the
servers (or host and basePath) the base URL. Real documents are imperfect:
what had to be worked around is reported, grouped, instead of failing.

Importing again over an earlier import keeps your edits (renamed actions,
pagination, the organizations source, removed endpoints) and says what the
new document added and removed.

  roost integrations import-openapi halopsa-swagger.json --name halo --tag Client --tag Tickets
  roost integrations import-openapi https://api.example.com/openapi.json --include '^GET '`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Usage: "the integration's name (default: from the document's title)"},
			&cli.StringSliceFlag{Name: "tag", Usage: "only operations with this tag (repeatable)"},
			&cli.StringFlag{Name: "include", Usage: "only operations whose \"METHOD /path\" or name matches this regular expression"},
			&cli.BoolFlag{Name: "dry-run", Usage: "report what would be imported; install nothing"},
			&cli.BoolFlag{Name: "allow-private-networks", Usage: "let a URL on loopback or a private network be fetched (refused by default, as for connectors)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("import-openapi takes one FILE or URL")
			}
			ref := c.Args().First()
			var data []byte
			opts := host.OpenAPIOptions{Name: c.String("name"), Tags: c.StringSlice("tag"), Include: c.String("include"),
				Source: ref, DryRun: c.Bool("dry-run"), AllowPrivateNetworks: c.Bool("allow-private-networks")}
			if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
				opts.URL = ref
			} else {
				var err error
				if data, err = os.ReadFile(ref); err != nil {
					return err
				}
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			done := progress(c, "importing "+ref)
			res, err := h.Integrations().ImportOpenAPI(c.Context, data, opts)
			done()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			return printImport(c.App.Writer, res, c.Bool("dry-run"))
		},
	}
}

func printImport(w io.Writer, res *host.OpenAPIResult, dry bool) error {
	r := res.Report
	verb := "imported"
	if dry {
		verb = "would import"
	}
	printf(w, "%s %s: %s %q, %d operations → %d actions", verb, res.Name, r.Spec, r.Title, r.Operations, r.Endpoints)
	if r.FilteredOut > 0 {
		printf(w, " (%d left out by --tag/--include)", r.FilteredOut)
	}
	printf(w, "\n")
	if res.Install != nil {
		printf(w, "%s as a custom integration\n", res.Install.Action)
	}
	if len(res.Added) > 0 {
		printf(w, "new in this document: %s\n", strings.Join(res.Added, ", "))
	}
	if len(res.Removed) > 0 {
		printf(w, "gone from this document: %s\n", strings.Join(res.Removed, ", "))
	}
	for _, k := range res.Kept {
		printf(w, "kept your edit: %s\n", k)
	}
	if len(r.Warnings) > 0 {
		printf(w, "worked around (%d kinds):\n", len(r.Warnings))
		for _, wn := range r.Warnings {
			times := ""
			if wn.Count > 1 {
				times = " (" + strconv.Itoa(wn.Count) + " times)"
			}
			printf(w, "  %s%s, e.g. %s\n", wn.Message, times, wn.Example)
		}
	}
	if len(r.LooksPaginated) > 0 {
		ex := r.LooksPaginated[0]
		printf(w, "%d actions look paginated; mark them with: roost integrations edit %s --paginate %s=page,page_param=…,size_param=…\n", len(r.LooksPaginated), res.Name, ex)
	}
	return nil
}

func integrationsEditCommand() *cli.Command {
	return &cli.Command{
		Name:      "edit",
		Usage:     "change a custom integration's endpoints: add, remove, rename, paginate, mark the organizations source",
		ArgsUsage: "NAME",
		Description: `  --add "GET /tickets/{id} get_ticket"          add an endpoint
  --remove NAME                                   remove one (a re-import leaves it out)
  --rename OLD=NEW                                rename an action
  --paginate NAME=KIND[,key=value…]               KIND none, offset, page, link or cursor; keys page_param,
                                                  size_param, page_size, first_page, next_path, cursor_param, max_pages
  --results-key NAME=PATH                         where the list is in the answer ("data.items")
  --organizations NAME[:id=F,name=F,domain=F]     the endpoint that lists customers for mapping
  --retry NAME                                    let its POST be retried after 429/5xx
  --print                                         print the definition (YAML), change nothing`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "add"}, &cli.StringSliceFlag{Name: "remove"}, &cli.StringSliceFlag{Name: "rename"},
			&cli.StringSliceFlag{Name: "paginate"}, &cli.StringSliceFlag{Name: "results-key"},
			&cli.StringFlag{Name: "organizations"}, &cli.StringSliceFlag{Name: "retry"},
			&cli.BoolFlag{Name: "print", Usage: "print the definition as YAML"}, jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("edit takes one NAME")
			}
			name := c.Args().First()
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			if c.Bool("print") {
				def, err := h.Integrations().CustomDefinition(c.Context, name)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return writeJSON(c.App.Writer, def)
				}
				j, _ := json.Marshal(def)
				var generic any
				json.Unmarshal(j, &generic)
				out, err := yaml.Marshal(generic)
				if err != nil {
					return err
				}
				_, err = c.App.Writer.Write(out)
				return err
			}
			var edit host.CustomEdit
			for _, spec := range c.StringSlice("add") {
				e, err := rest.ParseEndpoint(spec)
				if err != nil {
					return usageErrorf("%v", err)
				}
				edit.Add = append(edit.Add, e)
			}
			edit.Remove = c.StringSlice("remove")
			edit.Rename = map[string]string{}
			for _, kv := range c.StringSlice("rename") {
				o, n, ok := strings.Cut(kv, "=")
				if !ok {
					return usageErrorf("--rename %q: want OLD=NEW", kv)
				}
				edit.Rename[o] = n
			}
			edit.Paginate = map[string]*rest.Pagination{}
			for _, kv := range c.StringSlice("paginate") {
				n, spec, ok := strings.Cut(kv, "=")
				if !ok {
					return usageErrorf("--paginate %q: want NAME=KIND[,key=value…]", kv)
				}
				p, err := rest.ParsePagination(spec)
				if err != nil {
					return usageErrorf("%v", err)
				}
				edit.Paginate[n] = p
			}
			edit.ResultsKey = map[string]string{}
			for _, kv := range c.StringSlice("results-key") {
				n, path, ok := strings.Cut(kv, "=")
				if !ok {
					return usageErrorf("--results-key %q: want NAME=PATH", kv)
				}
				edit.ResultsKey[n] = path
			}
			if o := c.String("organizations"); o != "" {
				n, fields, _ := strings.Cut(o, ":")
				edit.Organizations = n
				for _, kv := range strings.Split(fields, ",") {
					k, v, _ := strings.Cut(kv, "=")
					switch k {
					case "id":
						edit.OrganizationsFields.ID = v
					case "name":
						edit.OrganizationsFields.Name = v
					case "domain":
						edit.OrganizationsFields.Domain = v
					case "":
					default:
						return usageErrorf("--organizations %q: fields are id, name and domain", o)
					}
				}
			}
			edit.Retry = c.StringSlice("retry")
			res, err := h.Integrations().EditCustom(c.Context, name, edit)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			printf(c.App.Writer, "%s %s\n", res.Action, name)
			if ch := res.Changes; ch != nil {
				for _, l := range []struct {
					what string
					list []string
				}{{"actions added", ch.ActionsAdded}, {"actions removed", ch.ActionsRemoved}, {"actions changed", ch.ActionsChanged}} {
					if len(l.list) > 0 {
						printf(c.App.Writer, "  %s: %s\n", l.what, strings.Join(l.list, ", "))
					}
				}
			}
			return nil
		},
	}
}

func integrationsAuthorizeCommand() *cli.Command {
	return &cli.Command{
		Name:      "authorize",
		Usage:     "sign an integration in to its tool (OAuth2 authorization code with PKCE)",
		ArgsUsage: "NAME",
		Description: `For integrations whose auth is oauth2_authorization_code: prints a URL to open
in a browser, waits for the tool to redirect back to a port on 127.0.0.1,
trades the code (with its PKCE verifier) for a refresh token and seals it in
the configuration. Set the client_id first with roost integrations configure.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "the configuration (default: the integration's default)"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "how long to wait for the sign-in"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("authorize takes one NAME")
			}
			name := c.Args().First()
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			err = h.Integrations().Authorize(c.Context, name, host.AuthorizeOptions{Config: c.String("config"), Timeout: c.Duration("timeout"),
				Open: func(u string) error {
					fmt.Fprintf(c.App.ErrWriter, "Open this address in a browser to sign %s in:\n\n  %s\n\nWaiting for the sign-in…\n", name, u)
					return nil
				}})
			if err != nil {
				return err
			}
			return printf(c.App.Writer, "signed in: %s keeps a refresh token, sealed, and fetches access tokens as needed\n", name)
		},
	}
}
