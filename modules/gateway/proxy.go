package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"sagalab/modules/shared/httpjson"
)

// Proxy is the API gateway in front of services that run as processes of
// their own: it serves the public REST API by passing each request to the
// service that owns it, unchanged, so answers keep their shapes, status
// codes and read-your-writes positions. A service that does not answer
// makes its own endpoints answer 503, naming it; the others carry on.
type Proxy struct {
	services map[string]*httputil.ReverseProxy
	log      *slog.Logger
	// composer composes the order history and the valuable-customers
	// query from the services' query APIs over HTTP.
	composer *Composer
	remotes  map[string]remote
	extra    []route // routes added with Handle

	mu    sync.Mutex
	calls map[string]int // requests passed on, per service
}

// Service names a service and where its HTTP API is.
type Service struct {
	Name string
	URL  *url.URL
}

// NewProxy returns a gateway to services (order, customer and history).
func NewProxy(log *slog.Logger, services ...Service) *Proxy {
	p := &Proxy{services: map[string]*httputil.ReverseProxy{}, log: log, calls: map[string]int{},
		remotes: map[string]remote{}}
	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       time.Minute,
		ResponseHeaderTimeout: httpjson.Deadline + 5*time.Second,
	}
	for _, s := range services {
		rp := httputil.NewSingleHostReverseProxy(s.URL)
		rp.Transport = transport
		rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				return // the client left
			}
			log.Warn("service unavailable", "service", s.Name, "method", r.Method, "path", r.URL.Path, "error", err)
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
				"error":   fmt.Sprintf("the %s service is unavailable: %v", s.Name, unwrapURLError(err)),
				"service": s.Name,
			})
		}
		p.services[s.Name] = rp
	}
	client := &http.Client{Transport: transport, Timeout: httpjson.Deadline}
	for _, s := range services {
		p.remotes[s.Name] = remote{s.Name, s.URL, client}
	}
	p.composer = &Composer{Customers: remoteCustomers{p.remote("customer")}, Orders: remoteOrders{p.remote("order")},
		View: remoteView{p.remote("history")}}
	return p
}

// unwrapURLError drops the method and URL a *url.Error repeats.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// routes maps each public endpoint to the service that owns it.
func routes() map[string]string {
	return map[string]string{
		"POST /customers":                  "customer",
		"GET /customers":                   "customer",
		"GET /customers/{id}":              "customer",
		"GET /customers/{id}/events":       "customer",
		"GET /customers/{id}/orderhistory": "history",
		"POST /orders":                     "order",
		"GET /orders":                      "order",
		"GET /orders/{id}":                 "order",
		"POST /orders/{id}/cancel":         "order",
		"GET /sagas":                       "order",
	}
}

// Handler serves the public REST API through the services, the routes
// added with Handle, GET /healthz and GET /gateway/calls (the requests
// passed on, per service).
func (p *Proxy) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, name := range routes() {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.Forward(name, w, r)
		}))
	}
	// API composition: real round trips, counted.
	mux.Handle("GET /composed/customers/{id}/orderhistory", p.HandleFunc(p.composer.getComposedHistory))
	mux.Handle("GET /queries/valuable-customers", p.HandleFunc(p.composer.getValuableCustomers))
	for _, rt := range p.extra {
		mux.Handle(rt.pattern, rt.h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok", "module": "gateway"})
	})
	mux.HandleFunc("GET /gateway/calls", func(w http.ResponseWriter, _ *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		httpjson.Write(w, http.StatusOK, map[string]any{"calls": p.calls})
	})
	return httpjson.Mux(mux)
}

// route is a pattern and its handler.
type route struct {
	pattern string
	h       http.Handler
}

// Handle adds a route to the gateway's handler: one that composes its
// answer from the services (with Get), or passes it on (with Forward).
func (p *Proxy) Handle(pattern string, h http.Handler) {
	p.extra = append(p.extra, route{pattern, h})
}

// HandleFunc makes fn a handler whose *UnavailableError answers 503 with
// {"error", "service"}, naming the service that did not answer.
func (p *Proxy) HandleFunc(fn httpjson.HandlerFunc) http.Handler {
	return httpjson.Handle(p.log, func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if u := (*UnavailableError)(nil); errors.As(err, &u) {
			p.log.Warn("service unavailable", "service", u.Service, "method", r.Method, "path", r.URL.Path, "error", u.Err)
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": u.Error(), "service": u.Service})
			return nil
		}
		return err
	})
}

// Forward passes a request on to service, unchanged, counting it; a
// service the gateway does not know answers 503.
func (p *Proxy) Forward(service string, w http.ResponseWriter, r *http.Request) {
	rp := p.services[service]
	if rp == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
			"error":   fmt.Sprintf("the %s service is unavailable: the gateway does not know where it is", service),
			"service": service})
		return
	}
	p.mu.Lock()
	p.calls[service]++
	p.mu.Unlock()
	rp.ServeHTTP(w, r)
}

// Get decodes service's answer to GET path?query into v. It returns
// notFound for a 404 (when not nil) and an *UnavailableError when the
// service does not answer, or answers another status than 200.
func (p *Proxy) Get(ctx context.Context, service, path string, query url.Values, v any, notFound error) error {
	return p.remote(service).get(ctx, path, query, v, notFound)
}

// remote is the client of service's HTTP API; one with no address when the
// gateway does not know where the service is.
func (p *Proxy) remote(service string) remote {
	if r, ok := p.remotes[service]; ok {
		return r
	}
	return remote{name: service}
}

// GetStatus is Get for an answer whose status tells something (such as
// GET /readyz): it returns the status with the body decoded into v.
func (p *Proxy) GetStatus(ctx context.Context, service, path string, v any) (int, error) {
	return p.remote(service).getStatus(ctx, path, v)
}
