package cmd

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestOrderList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if out, err := runAll(t, "walkthrough", "classroom", "--saga", "orchestration", "--data", dir); err != nil {
		t.Fatalf("walkthrough: %v\n%s", err, out)
	}
	out, err := runAll(t, "order", "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^ID +CUSTOMER +TOTAL +STATE +REASON +MODE +CREATED$`),
		regexp.MustCompile(`^o1 +c1 +12\.34 +CANCELLED +- +orchestration +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`),
		regexp.MustCompile(`^o2 +c1 +5\.00 +REJECTED +INSUFFICIENT_CREDIT +orchestration +\d{4}-`),
		regexp.MustCompile(`^o3 +ghost +1\.00 +REJECTED +UNKNOWN_CUSTOMER +orchestration +\d{4}-`),
		regexp.MustCompile(`^o4 +c1 +15\.00 +APPROVED +- +orchestration +\d{4}-`),
		regexp.MustCompile(`^4 orders$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
		}
		if len([]rune(lines[i])) > 100 {
			t.Errorf("line %d is wider than 100 columns: %s", i+1, lines[i])
		}
	}

	out, err = runAll(t, "order", "list", "--data", dir, "--state", "rejected", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Orders []struct {
			ID              string  `json:"orderId"`
			State           string  `json:"orderState"`
			RejectionReason *string `json:"rejectionReason"`
			OrderTotal      struct {
				Amount string `json:"amount"`
			} `json:"orderTotal"`
		} `json:"orders"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(got.Orders) != 2 || got.Orders[0].ID != "o2" || got.Orders[1].ID != "o3" ||
		got.Orders[0].State != "REJECTED" || got.Orders[0].OrderTotal.Amount != "5.00" ||
		got.Orders[1].RejectionReason == nil || *got.Orders[1].RejectionReason != "UNKNOWN_CUSTOMER" {
		t.Errorf("--state rejected --json: %+v", got.Orders)
	}

	if _, err := runAll(t, "order", "list", "--data", dir, "--state", "lost"); err == nil ||
		!strings.Contains(err.Error(), "--state") {
		t.Errorf("--state lost: %v, want an error naming --state", err)
	}
}

func TestUniquePrefixLen(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want int
	}{
		{[]string{"o1", "o2", "c1"}, 8},
		{[]string{"06bc8db9-1111", "06bc8db9-2222", "06bc8db9-1111"}, 10},
		{[]string{"06bc8db9-1111", "06bc8db9", "ffffffff-0"}, 9},
	} {
		if got := uniquePrefixLen(tc.ids, 8); got != tc.want {
			t.Errorf("uniquePrefixLen(%q) = %d, want %d", tc.ids, got, tc.want)
		}
	}
}
