package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
)

// Channel names one of the five Jupyter sockets.
type Channel int

// The five channels of a kernel, in connection-file order.
const (
	Shell Channel = iota
	IOPub
	Stdin
	Control
	Heartbeat
)

// Channels lists every channel, for code that binds them all.
var Channels = [...]Channel{Shell, IOPub, Stdin, Control, Heartbeat}

func (c Channel) String() string {
	switch c {
	case Shell:
		return "shell"
	case IOPub:
		return "iopub"
	case Stdin:
		return "stdin"
	case Control:
		return "control"
	case Heartbeat:
		return "hb"
	}
	return "channel(" + strconv.Itoa(int(c)) + ")"
}

// SchemeHMACSHA256 is the only signature scheme the kernel accepts.
const SchemeHMACSHA256 = "hmac-sha256"

// ConnectionInfo is a parsed, validated Jupyter connection file.
type ConnectionInfo struct {
	Transport       string `json:"transport"` // "tcp" or "ipc"
	IP              string `json:"ip"`        // host for tcp, path prefix for ipc
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"` // empty: messages are not signed
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ConnectionError reports what is wrong with a connection file, naming the
// field at fault.
type ConnectionError struct {
	Path  string // the file, when read from one
	Field string // the JSON field at fault; empty for the file as a whole
	Err   error
}

func (e *ConnectionError) Error() string {
	where := "connection file"
	if e.Path != "" {
		where += " " + e.Path
	}
	if e.Field != "" {
		return fmt.Sprintf("wire: %s: %s: %v", where, e.Field, e.Err)
	}
	return fmt.Sprintf("wire: %s: %v", where, e.Err)
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// ReadConnectionFile reads and validates the connection file at path.
func ReadConnectionFile(path string) (*ConnectionInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConnectionError{Path: path, Err: err}
	}
	ci, err := ParseConnectionInfo(data)
	if err != nil {
		var ce *ConnectionError
		if errors.As(err, &ce) {
			ce.Path = path
		}
		return nil, err
	}
	return ci, nil
}

// ParseConnectionInfo parses and validates a connection file's contents.
// Unknown fields are ignored, as Jupyter adds its own.
func ParseConnectionInfo(data []byte) (*ConnectionInfo, error) {
	// Decode field by field so a wrong type names its field.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &ConnectionError{Err: fmt.Errorf("not a JSON object: %w", err)}
	}
	ci := &ConnectionInfo{Transport: "tcp", IP: "127.0.0.1"}
	strs := []struct {
		name string
		dst  *string
	}{
		{"transport", &ci.Transport},
		{"ip", &ci.IP},
		{"key", &ci.Key},
		{"signature_scheme", &ci.SignatureScheme},
		{"kernel_name", &ci.KernelName},
	}
	for _, f := range strs {
		if v, ok := raw[f.name]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return nil, &ConnectionError{Field: f.name, Err: errors.New("must be a string")}
			}
		}
	}
	ports := []struct {
		name string
		dst  *int
	}{
		{"shell_port", &ci.ShellPort},
		{"iopub_port", &ci.IOPubPort},
		{"stdin_port", &ci.StdinPort},
		{"control_port", &ci.ControlPort},
		{"hb_port", &ci.HBPort},
	}
	for _, f := range ports {
		v, ok := raw[f.name]
		if !ok {
			return nil, &ConnectionError{Field: f.name, Err: errors.New("missing")}
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return nil, &ConnectionError{Field: f.name, Err: errors.New("must be an integer")}
		}
	}
	if err := ci.Validate(); err != nil {
		return nil, err
	}
	return ci, nil
}

// Validate checks the fields of ci and reports the first one at fault.
func (ci *ConnectionInfo) Validate() error {
	switch ci.Transport {
	case "tcp":
		if ci.IP == "" {
			return &ConnectionError{Field: "ip", Err: errors.New("empty")}
		}
		if net.ParseIP(ci.IP) == nil && ci.IP != "localhost" && ci.IP != "*" {
			return &ConnectionError{Field: "ip", Err: fmt.Errorf("%q is not an IP address", ci.IP)}
		}
	case "ipc":
		if ci.IP == "" {
			return &ConnectionError{Field: "ip", Err: errors.New("empty (ipc needs a path prefix)")}
		}
	default:
		return &ConnectionError{Field: "transport", Err: fmt.Errorf("%q is not supported (want tcp or ipc)", ci.Transport)}
	}
	seen := make(map[int]string, 5)
	for _, ch := range Channels {
		port, name := ci.Port(ch), ch.String()+"_port"
		if port < 1 || port > 65535 {
			return &ConnectionError{Field: name, Err: fmt.Errorf("%d is out of range 1..65535", port)}
		}
		if other, dup := seen[port]; dup {
			return &ConnectionError{Field: name, Err: fmt.Errorf("%d is also %s", port, other)}
		}
		seen[port] = name
	}
	// As NewSigner: hmac-sha256, or no scheme when there is no key.
	if ci.SignatureScheme != SchemeHMACSHA256 && (ci.SignatureScheme != "" || ci.Key != "") {
		return &ConnectionError{Field: "signature_scheme", Err: fmt.Errorf("%q is not supported (want %s)", ci.SignatureScheme, SchemeHMACSHA256)}
	}
	return nil
}

// Port returns the port (for ipc: the path suffix) of channel ch.
func (ci *ConnectionInfo) Port(ch Channel) int {
	switch ch {
	case Shell:
		return ci.ShellPort
	case IOPub:
		return ci.IOPubPort
	case Stdin:
		return ci.StdinPort
	case Control:
		return ci.ControlPort
	case Heartbeat:
		return ci.HBPort
	}
	return 0
}

// Endpoint returns the ZeroMQ endpoint of channel ch, such as
// "tcp://127.0.0.1:5555" or "ipc:///tmp/kernel-1-5555".
func (ci *ConnectionInfo) Endpoint(ch Channel) string {
	port := strconv.Itoa(ci.Port(ch))
	if ci.Transport == "ipc" {
		return "ipc://" + ci.IP + "-" + port
	}
	return "tcp://" + net.JoinHostPort(ci.IP, port)
}

// IsLoopback reports whether the kernel listens only on this machine: ipc,
// or tcp on a loopback address.
func (ci *ConnectionInfo) IsLoopback() bool {
	if ci.Transport == "ipc" || ci.IP == "localhost" {
		return true
	}
	ip := net.ParseIP(ci.IP)
	return ip != nil && ip.IsLoopback()
}
