package money

import (
	"bytes"
	"encoding/json"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

var decimal = regexp.MustCompile(`^\+?([0-9]+)(?:\.([0-9]{1,2}))?$`)

// cents is the fuzz tests' own reading of an amount: a plain decimal with at
// most two decimals, from 0 to Max, computed with big integers.
func cents(s string) (Money, bool) {
	m := decimal.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	frac := (m[2] + "00")[:2]
	c, _ := new(big.Int).SetString(m[1]+frac, 10)
	if c.Cmp(big.NewInt(int64(Max))) > 0 {
		return 0, false
	}
	return Money(c.Int64()), true
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "12.34", "15", "15.5", "+3", "007.5", " 7.10 ", "0.01", "1.", ".5", "-0", "-1",
		"1.234", "1e3", "1,5", "NaN", "1000000000000.00", "1000000000000.01", "99999999999999999999", "", " ",
		"１２", "٣", "1_000", "0x10", "+", "++1", "1..2", "\u00a012\u2003"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		want, ok := cents(strings.TrimSpace(s))
		if ok != (err == nil) || (ok && m != want) {
			t.Fatalf("Parse(%q) = %v, %v; want %v, accepted %v", s, m, err, want, ok)
		}
		if err != nil {
			return
		}
		if back, err := Parse(m.String()); err != nil || back != m {
			t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v, %v", s, m, m.String(), back, err)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`12.34`, `"12.34"`, `0`, `-0`, `-1`, `1e3`, `1E-2`, `1.5e0`, `"1e3"`, `null`, `true`,
		`{}`, `[]`, `""`, `" 7.10 "`, `"\u0031\u0032"`, `"\ud800"`, `1000000000000.01`, `007.5`, `0.001`, ` 5 `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseJSON(raw)
		if !json.Valid(raw) {
			return // the JSON decoder never hands ParseJSON such bytes; it must only not panic
		}
		var want Money
		var ok bool
		switch v := bytes.TrimSpace(raw); {
		case v[0] == '"':
			var s string
			if json.Unmarshal(v, &s) == nil {
				want, ok = cents(strings.TrimSpace(s))
			}
		case v[0] >= '0' && v[0] <= '9':
			want, ok = cents(string(v)) // no sign, no exponent
		}
		if ok != (err == nil) || (ok && m != want) {
			t.Fatalf("ParseJSON(%s) = %v, %v; want %v, accepted %v", raw, m, err, want, ok)
		}
		if err != nil {
			return
		}
		out, _ := m.MarshalJSON()
		if back, err := ParseJSON(out); err != nil || back != m {
			t.Fatalf("ParseJSON(%s) = %v, but it reads its own %s as %v, %v", raw, m, out, back, err)
		}
	})
}
