// Package money is an amount of money in integer cents: exact, with no
// floating point anywhere between a request and the database.
package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in cents.
type Money int64

// Max is the largest amount sagalab accepts: one trillion (10^12) units.
const Max Money = 1_000_000_000_000_00

// String formats m with two decimals: "12.34", "-0.50".
func (m Money) String() string { return string(m.appendTo(nil)) }

// appendTo appends m as String writes it to b.
func (m Money) appendTo(b []byte) []byte {
	c := int64(m)
	if c < 0 {
		b, c = append(b, '-'), -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	return append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
}

// Parse reads a non-negative decimal amount with at most two decimals, such
// as "15", "15.5" or "15.00". Its errors say what is wrong with s, for the
// caller to say where s came from ("creditLimit.amount: …").
func Parse(s string) (Money, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty; want a decimal number such as 12.34")
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if s[0] == '+' {
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) {
		return 0, fmt.Errorf("%q is not a decimal number such as 12.34", s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 13 {
		return 0, fmt.Errorf("%q is out of range (at most %s)", s, Max)
	}
	var m Money // the digits are checked: read them without another pass
	for i := range len(whole) {
		m = m*10 + Money(whole[i]-'0')
	}
	for i := range 2 {
		m *= 10
		if i < len(frac) {
			m += Money(frac[i] - '0')
		}
	}
	if m > Max {
		return 0, fmt.Errorf("%q is out of range (at most %s)", s, Max)
	}
	return m, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ParseJSON reads an amount given as a JSON number (12.34) or a JSON string
// ("12.34"). Its errors, like Parse's, say what is wrong with raw.
func ParseJSON(raw json.RawMessage) (Money, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, errors.New(`required, as a number or a string such as "12.34"`)
	}
	if raw[0] == '"' {
		if s, ok := plainString(raw); ok {
			return Parse(s)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("not a valid JSON string: %w", err)
		}
		return Parse(s)
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, fmt.Errorf(`%s is not a number or a string such as "12.34"`, raw)
	}
	if bytes.ContainsAny(raw, "eE") {
		return 0, fmt.Errorf("%s uses an exponent: write a plain decimal such as 12.34", raw)
	}
	return Parse(string(raw))
}

// plainString returns the text of the JSON string raw when it has no
// escapes, which is every amount MarshalJSON writes: decoding it costs no
// second pass of the JSON decoder (and no deeper stack) per amount.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '"' || c == '\\' || c < 0x20 {
			return "", false
		}
	}
	return string(body), true
}

// MarshalJSON writes m as a two-decimal JSON string.
func (m Money) MarshalJSON() ([]byte, error) {
	return append(m.appendTo(append(make([]byte, 0, 24), '"')), '"'), nil
}

// UnmarshalJSON reads a JSON number or string, as ParseJSON does.
func (m *Money) UnmarshalJSON(b []byte) error {
	v, err := ParseJSON(b)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Amount is the {"amount": "12.34"} object of the HTTP API.
type Amount struct {
	Amount Money `json:"amount"`
}
