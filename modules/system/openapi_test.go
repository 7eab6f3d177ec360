package system

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// apiDoc loads the embedded OpenAPI document once per test binary.
var apiDoc = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	return legacy.NewRouter(doc)
})

// apiServer serves s's REST API and checks every exchange against the
// OpenAPI document: a route it does not describe, a status it does not list
// or a field it does not allow fails the test. A request the server accepts
// (2xx) must be valid by the document; a rejected one is expected not to be.
func apiServer(t testing.TB, s *System) *httptest.Server {
	t.Helper()
	return checkedServer(t, s.Handler())
}

// checkedServer serves h, checking every exchange as apiServer does: the
// monolith keeps the same contract.
func checkedServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	router, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		if err := checkExchange(router, r, reqBody, rec); err != nil {
			t.Errorf("%s %s: the OpenAPI document disagrees: %v\nanswer %d %s", r.Method, r.URL, err, rec.Code, rec.Body)
		}
	}))
}

// checkExchange validates one request and its answer against the document.
func checkExchange(router routers.Router, r *http.Request, reqBody []byte, rec *httptest.ResponseRecorder) error {
	ctx := context.Background()
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	req.URL.Scheme, req.URL.Host = "http", "127.0.0.1:8080"
	// The server reads every body as JSON whatever its Content-Type says
	// (curl -d sends a form type), as the document says.
	req.Header.Set("Content-Type", "application/json")
	route, params, err := router.FindRoute(req)
	if err == nil && rec.Code == http.StatusNotFound && strings.Contains(rec.Body.String(), `"no route for `) {
		err = fmt.Errorf("the server has no route for it") // the document's router forgives a trailing slash
	}
	if err != nil {
		// Only a request no route takes may be missing from the document,
		// and its answer is the API's JSON error.
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			return fmt.Errorf("route not documented (%v)", err)
		}
		var e map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || len(e) != 1 || e["error"] == "" {
			return fmt.Errorf("an unknown route's answer is not {\"error\": ...}")
		}
		return nil
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if rec.Code < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("accepted request: %w", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code,
		Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return nil
}

// The document loads, is valid OpenAPI 3.1, and is served.
func TestOpenAPIDocument(t *testing.T) {
	if _, err := apiDoc(); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v (%v), want 3.1.0", doc["openapi"], err)
	}
	s := start(t, Config{})
	srv := apiServer(t, s)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !bytes.Equal(b, OpenAPI()) {
		t.Fatalf("GET /openapi.json = %d %s, want the embedded document", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// The checker itself: an undocumented route, status or field fails.
func TestOpenAPICatchesDrift(t *testing.T) {
	router, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	answer := func(code int, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(code)
		rec.WriteString(body)
		return rec
	}
	order := `{"orderId":"o","customerId":"c","orderTotal":{"amount":"1.00"},"orderState":"APPROVED","rejectionReason":null,"sagaMode":"choreography","architecture":"microservices"}`
	for _, c := range []struct {
		name, method, path, body string
		ok                       bool
	}{
		{"documented", "GET", "/orders/o", order, true},
		{"undocumented field", "GET", "/orders/o", strings.Replace(order, `"sagaMode"`, `"secret":1,"sagaMode"`, 1), false},
		{"missing field", "GET", "/orders/o", strings.Replace(order, `"orderState":"APPROVED",`, ``, 1), false},
		{"undocumented route", "GET", "/orders/o/audit", `{}`, false},
		{"undocumented status", "GET", "/orders", `{"error":"teapot"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code := 200
			if c.name == "undocumented status" {
				code = 418
			}
			r := httptest.NewRequest(c.method, c.path, nil)
			err := checkExchange(router, r, nil, answer(code, c.body))
			if (err == nil) != c.ok {
				t.Fatalf("check = %v, want ok=%v", err, c.ok)
			}
		})
	}
}
