package money

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseJSON(t *testing.T) {
	good := map[string]Money{
		`"15.00"`: 1500, `"15"`: 1500, `"15.5"`: 1550, `12.34`: 1234, `0`: 0, `"0.01"`: 1,
		`"1000000000000.00"`: Max, `" 7.10 "`: 710, `"+3"`: 300, `007.5`: 750,
	}
	for in, want := range good {
		got, err := ParseJSON(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ParseJSON(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		`"-1.00"`: "negative", `-1`: "negative", `"1.234"`: "two decimals", `1.001`: "two decimals",
		`"abc"`: "not a decimal", `"NaN"`: "not a decimal", `"Infinity"`: "not a decimal", `"1."`: "not a decimal",
		`".5"`: "not a decimal", `"1,5"`: "not a decimal", `1e3`: "exponent", `""`: "empty",
		`"1000000000000.01"`: "out of range", `"99999999999999999999"`: "out of range", `null`: "required",
		`true`: "number or a string", `{}`: "number or a string",
	}
	for in, want := range bad {
		_, err := ParseJSON(json.RawMessage(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseJSON(%s) error = %v, want one mentioning %q", in, err, want)
		}
	}
}

func TestStringAndJSON(t *testing.T) {
	for m, want := range map[Money]string{0: "0.00", 1: "0.01", 1234: "12.34", -50: "-0.50", Max: "1000000000000.00"} {
		if m.String() != want {
			t.Errorf("%d.String() = %s, want %s", int64(m), m.String(), want)
		}
	}
	b, _ := json.Marshal(Amount{Amount: 1500})
	if string(b) != `{"amount":"15.00"}` {
		t.Errorf("marshal = %s", b)
	}
	var a Amount
	if err := json.Unmarshal([]byte(`{"amount":12.3}`), &a); err != nil || a.Amount != 1230 {
		t.Errorf("unmarshal = %v, %v", a, err)
	}
}
