package cmd

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct {
		s      string
		width  int
		indent string
		want   []string
	}{
		{"short line", 20, "  ", []string{"short line"}},
		{"", 20, "  ", []string{""}},
		{"one two three four", 9, "  ", []string{"one two", "  three", "  four"}},
		{`{"a":"1","b":"2","c":"3"}`, 10, " ", []string{`{"a":"1",`, ` "b":"2",`, ` "c":"3"}`}},
		{"abcdefghijkl", 5, "", []string{"abcde", "fghij", "kl"}},
		{"x abcdefghij", 5, "..", []string{"x", "..abc", "..def", "..ghi", "..j"}},
		{"état → ça va", 6, "", []string{"état →", "ça va"}},
	} {
		got := fold(tc.s, tc.width, tc.indent)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("fold(%q, %d, %q) = %q, want %q", tc.s, tc.width, tc.indent, got, tc.want)
		}
	}
}
