package saga

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A saga's log is kept in its instance row, in the log column: one JSON
// object per line (JSON Lines), oldest first, each a logRow:
//
//	{"at":1764150000000000000,"step":"reserve credit","kind":"command","messageType":"ReserveCredit","messageId":"…"}
//
// A handling appends its entries to the column in the statement that
// writes the instance, so logging costs no statement of its own, and the
// log is read only to show it or to place a reply that is not the one the
// saga awaits.

// logRow is a saga log entry: as written, and as read back.
type logRow struct {
	At          int64   `json:"at"` // unix ns
	Step        string  `json:"step,omitempty"`
	Kind        LogKind `json:"kind"`
	MessageType string  `json:"messageType,omitempty"`
	MessageID   string  `json:"messageId,omitempty"`
}

// appendLogLines appends rows to b as log lines.
func appendLogLines(b []byte, rows []logRow) []byte {
	for _, r := range rows {
		b = append(b, `{"at":`...)
		b = strconv.AppendInt(b, r.At, 10)
		b = appendLogField(b, "step", r.Step)
		b = appendLogField(b, "kind", string(r.Kind))
		b = appendLogField(b, "messageType", r.MessageType)
		b = appendLogField(b, "messageId", r.MessageID)
		b = append(b, "}\n"...)
	}
	return b
}

// appendLogField appends `,"name":"value"` to b; nothing for an empty
// value but the kind's.
func appendLogField(b []byte, name, value string) []byte {
	if value == "" && name != "kind" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	return appendJSONString(b, value)
}

// appendJSONString appends s to b as a JSON string. Names and ids are
// plain ASCII and are copied as they are; anything else is left to
// encoding/json, which writes invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// parseLog reads log lines.
func parseLog(log string) ([]logRow, error) {
	var rows []logRow
	for line := range strings.Lines(log) {
		var r logRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("entry %d: %w", len(rows)+1, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// entry is r as the package shows it.
func (r logRow) entry() LogEntry {
	return LogEntry{At: time.Unix(0, r.At), Step: r.Step, Kind: r.Kind, MessageType: r.MessageType, MessageID: r.MessageID}
}
