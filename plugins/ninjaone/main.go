// Command ninjaone is Roost's NinjaOne (RMM) connector. It lists NinjaOne
// organizations for organization mapping and offers device and alert
// actions. The host fetches the OAuth2 token (client credentials at
// {base_url}/ws/oauth/token, scopes monitoring and management) and adds it
// to every request, so the connector never holds a secret.
//
// NinjaOne pages its lists by keyset: pageSize and after=<the last id of
// the previous page>, answering bare JSON arrays in id order; a short page
// is the last.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ninjaone.wasm .
package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roosthq/roost/sdk"
)

// Connector is the NinjaOne connector.
var Connector = sdk.Connector{
	Name:        "ninjaone",
	Version:     "1.0.0",
	Category:    sdk.CategoryRMM,
	Description: "NinjaOne: organizations for organization mapping, and device and alert actions.",
	Tags:        []string{"rmm", "devices", "alerts", "ninjarmm"},
	Homepage:    "https://app.ninjarmm.com/apidocs/",
	Config: []sdk.Field{
		{Name: "base_url", Type: sdk.TypeURL, Default: "https://app.ninjarmm.com",
			Description: "Your NinjaOne region, the address you sign in at: https://app.ninjarmm.com (US), https://us2.ninjarmm.com, https://eu.ninjarmm.com, https://ca.ninjarmm.com or https://oc.ninjarmm.com."},
		{Name: "client_id", Type: sdk.TypeString, Required: true,
			Description: "The Client ID of an API application: Administration → Apps → API → Client App IDs → Add, type API Services (machine-to-machine), scopes Monitoring and Management, grant type Client Credentials."},
		{Name: "client_secret", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "That application's Client Secret, shown once when the application is saved."},
	},
	Auth: &sdk.Auth{Type: sdk.AuthOAuth2ClientCredentials, TokenURL: "{config.base_url}/ws/oauth/token",
		ClientID: "client_id", Secret: "client_secret", Scopes: []string{"monitoring", "management"}},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("list_devices", "Lists the devices of an organization (or all devices), paged to the end.", listDevices),
		sdk.NewAction("get_device", "Fetches one device by id.", getDevice),
		sdk.NewAction("list_alerts", "Lists the triggered alerts of an organization (or all).", listAlerts),
		sdk.NewAction("reset_alert", "Resets (clears) one alert by its uid.", resetAlert),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	BaseURL string `json:"base_url"`
}

func apiURL(ctx context.Context, path string, q url.Values) (string, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return "", err
	}
	if cfg.BaseURL == "" {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "base_url is not configured")
	}
	u := strings.TrimRight(cfg.BaseURL, "/") + "/v2" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

// call sends one request and decodes a 2xx answer into out (if not nil).
func call(ctx context.Context, method, path string, q url.Values, out any) error {
	u, err := apiURL(ctx, path, q)
	if err != nil {
		return err
	}
	resp, err := sdk.HTTP(ctx).Do(sdk.Request{Method: method, URL: u, Header: sdk.Header{"Accept": {"application/json"}}})
	if err != nil {
		return err
	}
	if !resp.OK() {
		return statusError(method+" "+path, resp)
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	return resp.JSON(out)
}

// statusError turns a NinjaOne error answer ({resultCode, errorMessage,
// incidentId}) into a structured error.
func statusError(op string, resp *sdk.Response) error {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		IncidentID   string `json:"incidentId"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	msg := e.ErrorMessage
	if msg == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if e.IncidentID != "" {
		msg += " (incident " + e.IncidentID + ")"
	}
	code := sdk.CodeForStatus(resp.Status)
	switch {
	case resp.Status == 403:
		msg += "; the API application needs the monitoring and management scopes"
	}
	return sdk.Errorf(code, "%s: NinjaOne answered %d: %s", op, resp.Status, msg)
}

// Organization is a NinjaOne organization.
type Organization struct {
	ID               int    `json:"id"`
	Name             string `json:"name"`
	Description      string `json:"description,omitempty"`
	NodeApprovalMode string `json:"nodeApprovalMode,omitempty"`
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	var list []Organization
	if err := call(ctx, "GET", "/organizations", url.Values{"pageSize": {"1"}}, &list); err != nil {
		return sdk.CheckResult{}, err
	}
	msg := "signed in and read the organization list"
	if len(list) == 0 {
		msg += " (it is empty)"
	}
	return sdk.CheckResult{Message: msg}, nil
}

// organizations pages through GET /v2/organizations by keyset. The cursor
// is "AFTER:N": the id of the last organization so far and the length of
// the previous page.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	size := page.Size
	if size <= 0 || size > 1000 {
		size = 1000
	}
	q := url.Values{"pageSize": {strconv.Itoa(size)}}
	prev := 0
	if page.Cursor != "" {
		after, n, ok := strings.Cut(page.Cursor, ":")
		var err1, err2 error
		if _, err1 = strconv.Atoi(after); ok {
			prev, err2 = strconv.Atoi(n)
		}
		if !ok || err1 != nil || err2 != nil {
			return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "bad cursor %q", page.Cursor)
		}
		q.Set("after", after)
	}
	var list []Organization
	if err := call(ctx, "GET", "/organizations", q, &list); err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(list))}
	for _, o := range list {
		a := sdk.Account{ID: strconv.Itoa(o.ID), Name: o.Name}
		if o.NodeApprovalMode != "" {
			a.Attributes = map[string]string{"node_approval_mode": o.NodeApprovalMode}
		}
		out.Accounts = append(out.Accounts, a)
	}
	if !lastPage(len(list), size, prev) {
		out.Next = strconv.Itoa(list[len(list)-1].ID) + ":" + strconv.Itoa(len(list))
	}
	return out, nil
}

// lastPage says whether a keyset page of n items, asked for size, after a
// page of prev items (0 for the first), ends the listing. NinjaOne may
// answer fewer than asked on a full page (it caps pageSize), so a short
// page is the last only when it is shorter than the page before it, or
// empty; a short first page costs one more request.
func lastPage(n, size, prev int) bool {
	return n == 0 || (n < size && prev > 0 && n < prev)
}

// Device is a NinjaOne device.
type Device struct {
	ID             int    `json:"id"`
	OrganizationID int    `json:"organizationId"`
	LocationID     int    `json:"locationId,omitempty"`
	NodeClass      string `json:"nodeClass,omitempty" desc:"WINDOWS_WORKSTATION, WINDOWS_SERVER, MAC, LINUX_SERVER, VMWARE_VM_HOST…"`
	ApprovalStatus string `json:"approvalStatus,omitempty"`
	Offline        bool   `json:"offline"`
	DisplayName    string `json:"displayName,omitempty"`
	SystemName     string `json:"systemName,omitempty"`
	DNSName        string `json:"dnsName,omitempty"`
	LastContact    string `json:"lastContact,omitempty" desc:"When the agent last checked in (RFC 3339)."`
}

// wireDevice is a device as NinjaOne sends it (times in epoch seconds).
type wireDevice struct {
	Device
	LastContact float64 `json:"lastContact"`
}

func (w wireDevice) device() Device {
	d := w.Device
	if w.LastContact > 0 {
		d.LastContact = epoch(w.LastContact)
	}
	return d
}

func epoch(s float64) string {
	sec := int64(s)
	return time.Unix(sec, int64((s-float64(sec))*1e9)).UTC().Format(time.RFC3339)
}

// OrgRef names an organization; empty means all.
type OrgRef struct {
	OrganizationID string `json:"organization_id,omitempty" desc:"The organization's id, as mapped to an organization; empty for all."`
}

// ListDevicesInput is the input of list_devices.
type ListDevicesInput struct {
	OrganizationID string `json:"organization_id,omitempty" desc:"The organization's id, as mapped to an organization; empty for all."`
	Limit          int    `json:"limit,omitempty" desc:"At most this many (default 1000, at most 10000)."`
}

func orgFilter(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "organization id %q: want a positive whole number", id)
	}
	return "org = " + strconv.Itoa(n), nil
}

func listDevices(ctx context.Context, in ListDevicesInput) ([]Device, error) {
	df, err := orgFilter(in.OrganizationID)
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 10000)
	out := []Device{}
	after, prev := 0, 0
	for len(out) < limit {
		size := 1000
		q := url.Values{"pageSize": {strconv.Itoa(size)}}
		if df != "" {
			q.Set("df", df)
		}
		if after > 0 {
			q.Set("after", strconv.Itoa(after))
		}
		var page []wireDevice
		if err := call(ctx, "GET", "/devices", q, &page); err != nil {
			return out, err
		}
		for _, d := range page {
			out = append(out, d.device())
		}
		if lastPage(len(page), size, prev) {
			break
		}
		last := page[len(page)-1].ID
		if last <= after {
			return out, sdk.Errorf(sdk.CodeUpstream, "NinjaOne answered the page after device %d with devices up to %d: it is not paging forward", after, last)
		}
		after, prev = last, len(page)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DeviceRef names one device.
type DeviceRef struct {
	ID string `json:"id" desc:"The device's NinjaOne id."`
}

func getDevice(ctx context.Context, in DeviceRef) (Device, error) {
	n, err := strconv.Atoi(in.ID)
	if err != nil || n <= 0 {
		return Device{}, sdk.Errorf(sdk.CodeInvalidInput, "device id %q: want a positive whole number", in.ID)
	}
	var d wireDevice
	if err := call(ctx, "GET", "/device/"+strconv.Itoa(n), nil, &d); err != nil {
		return Device{}, err
	}
	return d.device(), nil
}

// Alert is a triggered NinjaOne alert.
type Alert struct {
	UID        string `json:"uid"`
	DeviceID   int    `json:"deviceId"`
	Message    string `json:"message"`
	Severity   string `json:"severity,omitempty"`
	Priority   string `json:"priority,omitempty"`
	SourceType string `json:"sourceType,omitempty"`
	Created    string `json:"created,omitempty" desc:"When the alert was raised (RFC 3339)."`
}

func listAlerts(ctx context.Context, in OrgRef) ([]Alert, error) {
	df, err := orgFilter(in.OrganizationID)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if df != "" {
		q.Set("df", df)
	}
	var wire []struct {
		Alert
		CreateTime float64 `json:"createTime"`
	}
	if err := call(ctx, "GET", "/alerts", q, &wire); err != nil {
		return nil, err
	}
	out := make([]Alert, len(wire))
	for i, w := range wire {
		out[i] = w.Alert
		if w.CreateTime > 0 {
			out[i].Created = epoch(w.CreateTime)
		}
	}
	return out, nil
}

// AlertRef names one alert.
type AlertRef struct {
	UID string `json:"uid" desc:"The alert's uid, from list_alerts."`
}

// ResetAlertOutput is the output of reset_alert.
type ResetAlertOutput struct {
	Reset bool `json:"reset"`
}

func resetAlert(ctx context.Context, in AlertRef) (ResetAlertOutput, error) {
	if strings.TrimSpace(in.UID) == "" || strings.ContainsAny(in.UID, "/?#") {
		return ResetAlertOutput{}, sdk.Errorf(sdk.CodeInvalidInput, "uid %q is not an alert uid", in.UID)
	}
	if err := call(ctx, "DELETE", "/alert/"+url.PathEscape(in.UID), nil, nil); err != nil {
		return ResetAlertOutput{}, err
	}
	return ResetAlertOutput{Reset: true}, nil
}
