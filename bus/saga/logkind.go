package saga

// LogKind is the kind of a saga log entry: what happened to the saga.
type LogKind string

// The kinds of saga log entries.
const (
	LogStart               LogKind = "start"
	LogLocal               LogKind = "local"
	LogCommand             LogKind = "command"
	LogCommandAgain        LogKind = "command (again)"
	LogReply               LogKind = "reply"
	LogUnexpected          LogKind = "unexpected"
	LogLateReply           LogKind = "late reply"
	LogTimeout             LogKind = "timeout"
	LogCompensation        LogKind = "compensation"
	LogCompensationCommand LogKind = "compensation command"
	LogCompleted           LogKind = "completed"
	LogCompensated         LogKind = "compensated"
)

// SendsCommand reports whether an entry of kind k records a command the
// saga sent (its message id is the command's).
func (k LogKind) SendsCommand() bool {
	return k == LogCommand || k == LogCommandAgain || k == LogCompensationCommand
}
