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
	// composer composes the order history from the services' query APIs
	// over HTTP; nil without the order and customer services.
	composer *Composer

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
	p := &Proxy{services: map[string]*httputil.ReverseProxy{}, log: log, calls: map[string]int{}}
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
	var customers, orders *url.URL
	for _, s := range services {
		switch s.Name {
		case "customer":
			customers = s.URL
		case "order":
			orders = s.URL
		}
	}
	if customers != nil && orders != nil {
		p.composer = &Composer{Customers: remoteCustomers{remote{"customer", customers, client}},
			Orders: remoteOrders{remote{"order", orders, client}}}
	}
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
	}
}

// Handler serves the public REST API through the services, GET /healthz
// and GET /gateway/calls (the requests passed on, per service).
func (p *Proxy) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, name := range routes() {
		rp := p.services[name]
		if rp == nil {
			continue
		}
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			p.calls[name]++
			p.mu.Unlock()
			rp.ServeHTTP(w, r)
		}))
	}
	if p.composer != nil {
		// API composition: two real round trips, counted in X-Round-Trips.
		mux.Handle("GET /composed/customers/{id}/orderhistory", httpjson.Handle(p.log,
			func(w http.ResponseWriter, r *http.Request) error {
				err := p.composer.getComposedHistory(w, r)
				if u := (*unavailableError)(nil); errors.As(err, &u) {
					return httpjson.Errorf(http.StatusServiceUnavailable, "%s", u.Error())
				}
				return err
			}))
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
