package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"sagalab/modules/shared/money"
)

// apiClient calls sagalab's REST API.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{
		Timeout:   45 * time.Second, // more than a read-your-writes wait
		Transport: &http.Transport{MaxIdleConnsPerHost: 16},
	}}
}

// answer is a response of the API.
type answer struct {
	method, path string
	status       int
	body         []byte
}

func (a answer) String() string {
	return fmt.Sprintf("%s %s: %d %s", a.method, a.path, a.status, bytes.TrimSpace(a.body))
}

// decode reads a JSON answer into v.
func (a answer) decode(v any) error {
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("%s: answer is not the JSON expected: %w", a, err)
	}
	return nil
}

// do sends a request with body (JSON unless nil). The error is a transport
// error: whether the server did the request is then unknown.
func (c *apiClient) do(ctx context.Context, method, path string, body any) (answer, error) {
	a := answer{method: method, path: path}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return a, fmt.Errorf("encode the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return a, fmt.Errorf("%s %s: %w", method, path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	a.status = resp.StatusCode
	if a.body, err = io.ReadAll(resp.Body); err != nil {
		return a, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return a, nil
}

// get sends a GET that must answer 200 with JSON, decoded into v.
func (c *apiClient) get(ctx context.Context, path string, v any) error {
	a, err := c.do(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("%s, want 200", a)
	}
	return a.decode(v)
}

func (c *apiClient) close() { c.http.CloseIdleConnections() }

// The API's documents, as far as the crash test reads them.
type (
	apiOrder struct {
		ID              string       `json:"orderId"`
		CustomerID      string       `json:"customerId"`
		OrderTotal      money.Amount `json:"orderTotal"`
		State           string       `json:"orderState"`
		RejectionReason *string      `json:"rejectionReason"`
		SagaMode        string       `json:"sagaMode"`
	}
	apiCustomer struct {
		ID              string       `json:"customerId"`
		Name            string       `json:"name"`
		CreditLimit     money.Amount `json:"creditLimit"`
		AvailableCredit money.Amount `json:"availableCredit"`
	}
	apiEvent struct {
		Version int64  `json:"version"`
		Type    string `json:"type"`
		Data    struct {
			OrderID string `json:"orderId"`
		} `json:"data"`
	}
	apiHistory struct {
		ID     string `json:"id"`
		Orders map[string]struct {
			State      string       `json:"state"`
			OrderTotal money.Amount `json:"orderTotal"`
		} `json:"orders"`
	}
)
