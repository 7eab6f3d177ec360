package system

import (
	_ "embed"
	"net/http"
)

// openAPI describes the REST API that Handler serves, as OpenAPI 3.1. Tests
// check every request and answer of the HTTP tests against it.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the REST API.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

func (s *System) openAPIRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /openapi.json", serveOpenAPI)
}

// serveOpenAPI answers GET /openapi.json.
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI) //nolint:errcheck // the client went away; nothing to do
}
