package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/wire"
)

// fakeExecutor is the kernel's test double for a Go session: a cell is a
// command understood by Execute below.
type fakeExecutor struct {
	mu       sync.Mutex
	restarts int
	closed   bool

	// queued reports whether another shell request is waiting; the
	// "fail-queued" cell fails only once one is.
	queued func() bool
}

func (f *fakeExecutor) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) interp.ExecuteResult {
	cmd, arg, _ := strings.Cut(req.Code, " ")
	switch cmd {
	case "print":
		out.Stream("stdout", arg+"\n")
		return interp.ExecuteResult{}
	case "value":
		return interp.ExecuteResult{Result: &interp.MIMEBundle{Data: map[string]any{"text/plain": arg}}}
	case "fail":
		return interp.ExecuteResult{Error: &interp.Error{Name: "Panic", Value: arg, Traceback: []string{"panic: " + arg}}}
	case "fail-queued":
		for deadline := time.Now().Add(10 * time.Second); !f.queued() && time.Now().Before(deadline); {
			runtime.Gosched()
		}
		return interp.ExecuteResult{Error: &interp.Error{Name: "Panic", Value: arg}}
	case "block":
		<-ctx.Done()
		return interp.ExecuteResult{Error: &interp.Error{Name: interp.ErrNameInterrupted, Value: "interrupted"}}
	case "input":
		line, err := out.Input(ctx, arg, false)
		if err != nil {
			return interp.ExecuteResult{Error: &interp.Error{Name: "InputError", Value: err.Error()}}
		}
		return interp.ExecuteResult{Result: &interp.MIMEBundle{Data: map[string]any{"text/plain": line}}}
	}
	return interp.ExecuteResult{}
}

func (f *fakeExecutor) Complete(ctx context.Context, code string, cursor int) (interp.Completion, error) {
	return interp.Completion{Matches: []string{code + "x"}, CursorStart: 0, CursorEnd: cursor}, nil
}

func (f *fakeExecutor) Inspect(ctx context.Context, code string, cursor, detail int) (interp.Inspection, error) {
	return interp.Inspection{Found: true, Data: map[string]any{"text/plain": code}}, nil
}

func (f *fakeExecutor) IsComplete(code string) interp.Completeness {
	if strings.HasSuffix(code, "{") {
		return interp.Completeness{Status: "incomplete", Indent: "\t"}
	}
	return interp.Completeness{Status: "complete"}
}

// Comm accepts comms of target "echo" only.
func (f *fakeExecutor) Comm(ctx context.Context, m interp.CommMessage) error {
	if m.Type == "comm_open" && m.Target != "echo" {
		return interp.ErrNoCommTarget
	}
	return nil
}

func (f *fakeExecutor) Restart(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts++
	return nil
}

func (f *fakeExecutor) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// runResult is Run's outcome: err is set before done is closed.
type runResult struct {
	done chan struct{}
	err  error
}

// client is a Jupyter client built from real zmq4 sockets.
type client struct {
	t       *testing.T
	signer  *wire.Signer
	shell   zmq4.Socket
	control zmq4.Socket
	stdin   zmq4.Socket
	iopub   zmq4.Socket
	hb      zmq4.Socket

	iopubMsgs chan *wire.Message // everything iopub delivers, in order
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// startKernel runs a kernel with exec on fresh loopback ports and connects a
// client to it. The kernel is shut down when the test ends.
func startKernel(t *testing.T, exec interp.Executor) (*client, *Kernel, *runResult) {
	t.Helper()
	p := freePorts(t, 5)
	conn := &wire.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], IOPubPort: p[1],
		StdinPort: p[2], ControlPort: p[3], HBPort: p[4], Key: "test-key", SignatureScheme: wire.SchemeHMACSHA256}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	k, err := New(Config{Conn: conn, Executor: exec, Logger: logger, Version: "test", SendTimeout: 2 * time.Second, HistoryFile: "-"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &runResult{done: make(chan struct{})}
	go func() { run.err = k.Run(ctx); close(run.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-run.done:
		case <-time.After(10 * time.Second):
			t.Error("kernel did not stop")
		}
	})

	signer, _ := wire.NewSigner(wire.SchemeHMACSHA256, []byte("test-key"))
	c := &client{t: t, signer: signer}
	dial := func(s zmq4.Socket, ch wire.Channel) zmq4.Socket {
		if err := s.Dial(conn.Endpoint(ch)); err != nil {
			t.Fatalf("dial %s: %v", ch, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	cctx := context.Background()
	opts := []zmq4.Option{zmq4.WithDialerMaxRetries(50), zmq4.WithLogger(slog.NewLogLogger(logger.Handler(), slog.LevelDebug))}
	c.shell = dial(zmq4.NewDealer(cctx, append(opts, zmq4.WithID(zmq4.SocketIdentity("shell-client")))...), wire.Shell)
	c.control = dial(zmq4.NewDealer(cctx, append(opts, zmq4.WithID(zmq4.SocketIdentity("control-client")))...), wire.Control)
	c.stdin = dial(zmq4.NewDealer(cctx, append(opts, zmq4.WithID(zmq4.SocketIdentity("shell-client")))...), wire.Stdin)
	c.iopub = dial(zmq4.NewSub(cctx, opts...), wire.IOPub)
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	c.hb = dial(zmq4.NewReq(cctx, opts...), wire.Heartbeat)
	c.waitIOPub(k)
	return c, k, run
}

// waitIOPub waits until the subscription is live: PUB drops messages for
// subscribers it does not know yet, so requests sent before that would race.
// One goroutine reads iopub for the whole test, so no message is lost to a
// stray receive.
func (c *client) waitIOPub(k *Kernel) {
	c.t.Helper()
	c.iopubMsgs = make(chan *wire.Message, 1024)
	go func() {
		for {
			zm, err := c.iopub.Recv()
			if err != nil {
				close(c.iopubMsgs)
				return
			}
			if m, err := wire.Decode(zm.Frames, c.signer); err == nil {
				c.iopubMsgs <- m
			}
		}
	}()
	probe := time.NewTicker(50 * time.Millisecond)
	defer probe.Stop()
	deadline := time.After(10 * time.Second)
	for {
		k.publish("status", nil, map[string]any{"execution_state": "probe"})
		select {
		case <-c.iopubMsgs:
			return
		case <-probe.C:
		case <-deadline:
			c.t.Fatal("iopub subscription never became live")
		}
	}
}

func (c *client) send(s zmq4.Socket, msgType string, content any) *wire.Message {
	c.t.Helper()
	m, err := wire.NewMessage(msgType, "client-session", nil, content)
	if err != nil {
		c.t.Fatal(err)
	}
	frames, err := wire.Encode(m, c.signer)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := s.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		c.t.Fatal(err)
	}
	return m
}

func (c *client) recv(s zmq4.Socket) *wire.Message {
	c.t.Helper()
	type result struct {
		m   *wire.Message
		err error
	}
	got := make(chan result, 1)
	go func() {
		zm, err := s.Recv()
		if err != nil {
			got <- result{err: err}
			return
		}
		m, err := wire.Decode(zm.Frames, c.signer)
		got <- result{m, err}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			c.t.Fatal(r.err)
		}
		return r.m
	case <-time.After(10 * time.Second):
		c.t.Fatal("timed out waiting for a message")
	}
	return nil
}

// iopubFor collects iopub messages whose parent is req, up to its idle status.
func (c *client) iopubFor(req *wire.Message) []*wire.Message {
	c.t.Helper()
	var msgs []*wire.Message
	for {
		m := c.nextIOPub()
		var parent wire.Header
		json.Unmarshal(m.ParentHeader, &parent)
		if parent.MsgID != req.Header.MsgID {
			continue
		}
		msgs = append(msgs, m)
		if m.Header.MsgType == "status" && content(c.t, m)["execution_state"] == "idle" {
			return msgs
		}
	}
}

func (c *client) nextIOPub() *wire.Message {
	c.t.Helper()
	select {
	case m, ok := <-c.iopubMsgs:
		if !ok {
			c.t.Fatal("iopub closed")
		}
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatal("timed out waiting for iopub")
	}
	return nil
}

func content(t *testing.T, m *wire.Message) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Content, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func types(msgs []*wire.Message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Header.MsgType)
	}
	return strings.Join(s, ",")
}

func TestKernelInfoOnBothChannels(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	for _, s := range []zmq4.Socket{c.shell, c.control} {
		req := c.send(s, "kernel_info_request", map[string]any{})
		rep := c.recv(s)
		if rep.Header.MsgType != "kernel_info_reply" {
			t.Fatalf("reply type %q", rep.Header.MsgType)
		}
		var parent wire.Header
		json.Unmarshal(rep.ParentHeader, &parent)
		if parent.MsgID != req.Header.MsgID {
			t.Errorf("reply parent %q, want %q", parent.MsgID, req.Header.MsgID)
		}
		info := content(t, rep)
		li := info["language_info"].(map[string]any)
		if info["implementation"] != "gokernel" || li["name"] != "go" || li["mimetype"] != "text/x-go" {
			t.Errorf("kernel_info = %v", info)
		}
		if got := types(c.iopubFor(req)); got != "status,status" {
			t.Errorf("iopub = %s, want busy and idle", got)
		}
	}
}

func TestExecuteFlow(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	req := c.send(c.shell, "execute_request", map[string]any{"code": "print hi", "silent": false})
	rep := content(t, c.recv(c.shell))
	if rep["status"] != "ok" || rep["execution_count"] != 1.0 {
		t.Fatalf("reply = %v", rep)
	}
	msgs := c.iopubFor(req)
	if got := types(msgs); got != "status,execute_input,stream,status" {
		t.Fatalf("iopub = %s", got)
	}
	if s := content(t, msgs[2]); s["name"] != "stdout" || s["text"] != "hi\n" {
		t.Errorf("stream = %v", s)
	}

	req = c.send(c.shell, "execute_request", map[string]any{"code": "value 42"})
	if rep = content(t, c.recv(c.shell)); rep["status"] != "ok" {
		t.Fatalf("reply = %v", rep)
	}
	msgs = c.iopubFor(req)
	if got := types(msgs); got != "status,execute_input,execute_result,status" {
		t.Fatalf("iopub = %s", got)
	}
	res := content(t, msgs[2])
	if res["execution_count"] != 2.0 || res["data"].(map[string]any)["text/plain"] != "42" {
		t.Errorf("execute_result = %v", res)
	}

	// Silent: no execute_input, no output, no count.
	req = c.send(c.shell, "execute_request", map[string]any{"code": "print quiet", "silent": true})
	rep = content(t, c.recv(c.shell))
	if rep["execution_count"] != 2.0 {
		t.Errorf("silent execution_count = %v, want 2", rep["execution_count"])
	}
	if got := types(c.iopubFor(req)); got != "status,status" {
		t.Errorf("silent iopub = %s", got)
	}
}

func TestStopOnErrorAbortsQueue(t *testing.T) {
	exec := &fakeExecutor{}
	c, k, _ := startKernel(t, exec)
	exec.queued = func() bool { return len(k.shell.in) > 0 }
	c.send(c.shell, "execute_request", map[string]any{"code": "fail-queued boom"})
	c.send(c.shell, "execute_request", map[string]any{"code": "print after"})
	first, second := content(t, c.recv(c.shell)), content(t, c.recv(c.shell))
	if first["status"] != "error" || first["ename"] != "Panic" {
		t.Errorf("first reply = %v", first)
	}
	if second["status"] != "aborted" {
		t.Errorf("second reply = %v, want aborted", second)
	}
	// A request sent after the error reply runs.
	c.send(c.shell, "execute_request", map[string]any{"code": "value ok"})
	if r := content(t, c.recv(c.shell)); r["status"] != "ok" {
		t.Errorf("later reply = %v", r)
	}
	// With stop_on_error false nothing is aborted.
	c.send(c.shell, "execute_request", map[string]any{"code": "fail-queued again", "stop_on_error": false})
	c.send(c.shell, "execute_request", map[string]any{"code": "value runs"})
	content(t, c.recv(c.shell))
	if r := content(t, c.recv(c.shell)); r["status"] != "ok" {
		t.Errorf("reply after stop_on_error=false = %v", r)
	}
}

func TestInterruptOnControl(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	req := c.send(c.shell, "execute_request", map[string]any{"code": "block"})
	// Wait until the cell runs (its execute_input is out) before interrupting.
	for {
		m := c.nextIOPub()
		if m.Header.MsgType == "execute_input" {
			break
		}
	}
	c.send(c.control, "interrupt_request", map[string]any{})
	if r := c.recv(c.control); r.Header.MsgType != "interrupt_reply" {
		t.Fatalf("control reply %q", r.Header.MsgType)
	}
	rep := content(t, c.recv(c.shell))
	if rep["status"] != "error" || rep["ename"] != interp.ErrNameInterrupted {
		t.Fatalf("execute_reply = %v", rep)
	}
	_ = req
}

func TestBadMessagesAreDropped(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	good, _ := wire.NewMessage("kernel_info_request", "s", nil, map[string]any{})
	frames, _ := wire.Encode(good, c.signer)
	badSig := append([][]byte(nil), frames...)
	badSig[1] = []byte("0000")
	wrongKey, _ := wire.NewSigner(wire.SchemeHMACSHA256, []byte("other"))
	wrong, _ := wire.Encode(good, wrongKey)
	unknown, _ := wire.NewMessage("no_such_request", "s", nil, map[string]any{})
	unknownFrames, _ := wire.Encode(unknown, c.signer)
	badContent, _ := wire.NewMessage("execute_request", "s", nil, map[string]any{"code": 5})
	badContentFrames, _ := wire.Encode(badContent, c.signer)
	// Signed, valid header, content not a JSON object.
	notObject, _ := wire.NewMessage("execute_request", "s", nil, map[string]any{})
	notObjectFrames, _ := wire.Encode(notObject, c.signer)
	notObjectFrames[len(notObjectFrames)-1] = []byte("[1]")
	notObjectFrames[1] = c.signer.Sign(notObjectFrames[2], notObjectFrames[3], notObjectFrames[4], notObjectFrames[5])
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"no delimiter", [][]byte{[]byte("garbage")}},
		{"short", frames[:3]},
		{"bad signature", badSig},
		{"wrong key", wrong},
		{"unknown type", unknownFrames},
		{"valid", frames},
		{"replayed", frames},
		{"binary", [][]byte{{0xff, 0xfe}, []byte(wire.Delimiter), {0xff}, {0}, {1}, {2}, {3}}},
		{"content mistyped", badContentFrames},
		{"content not an object", notObjectFrames},
	} {
		if err := c.shell.Send(zmq4.NewMsgFrom(tc.frames...)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	// The first copy of frames was valid and is answered; so are the badly
	// typed execute_request and the one whose content is not an object
	// (error replies); the replay is not.
	if r := c.recv(c.shell); r.Header.MsgType != "kernel_info_reply" {
		t.Fatalf("got %q", r.Header.MsgType)
	}
	if r := content(t, c.recv(c.shell)); r["status"] != "error" {
		t.Fatalf("mistyped execute_request reply = %v", r)
	}
	// A signed request with malformed content is answered, not dropped:
	// its sender would wait forever.
	if r := content(t, c.recv(c.shell)); r["status"] != "error" || r["ename"] != "BadRequest" {
		t.Fatalf("execute_request with content [1]: reply = %v", r)
	}
	c.send(c.shell, "kernel_info_request", map[string]any{})
	if r := c.recv(c.shell); r.Header.MsgType != "kernel_info_reply" {
		t.Fatalf("kernel did not answer after bad messages: %q", r.Header.MsgType)
	}
}

func TestStdinRoundTrip(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	c.send(c.shell, "execute_request", map[string]any{"code": "input name?", "allow_stdin": true})
	ask := c.recv(c.stdin)
	if ask.Header.MsgType != "input_request" || content(t, ask)["prompt"] != "name?" {
		t.Fatalf("stdin got %s %s", ask.Header.MsgType, ask.Content)
	}
	reply, _ := wire.NewMessage("input_reply", "client-session", ask, map[string]any{"value": "gopher"})
	reply.Identities = nil
	frames, _ := wire.Encode(reply, c.signer)
	c.stdin.Send(zmq4.NewMsgFrom(frames...))
	if rep := content(t, c.recv(c.shell)); rep["status"] != "ok" {
		t.Fatalf("execute_reply = %v", rep)
	}
	// A signed input_reply with a malformed part is not used: the cell
	// gets an error, not a value decoded from it.
	c.send(c.shell, "execute_request", map[string]any{"code": "input name?", "allow_stdin": true})
	ask = c.recv(c.stdin)
	reply, _ = wire.NewMessage("input_reply", "client-session", ask, map[string]any{"value": "gopher"})
	reply.Identities, reply.Metadata = nil, []byte(`[1]`)
	frames, _ = wire.Encode(reply, c.signer)
	c.stdin.Send(zmq4.NewMsgFrom(frames...))
	if rep := content(t, c.recv(c.shell)); rep["ename"] != "InputError" || !strings.Contains(fmt.Sprint(rep["evalue"]), "input_reply") {
		t.Fatalf("execute_reply after a malformed input_reply = %v", rep)
	}
	// Without allow_stdin the session is told at once.
	c.send(c.shell, "execute_request", map[string]any{"code": "input x", "allow_stdin": false})
	if rep := content(t, c.recv(c.shell)); rep["ename"] != "InputError" {
		t.Fatalf("execute_reply = %v", rep)
	}
}

func TestHeartbeatCompleteInspect(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	if m, err := c.hb.Recv(); err != nil || string(m.Bytes()) != "ping" {
		t.Fatalf("heartbeat = %q, %v", m.Bytes(), err)
	}
	for _, tt := range []struct {
		msgType string
		content map[string]any
		check   func(map[string]any) bool
	}{
		{"is_complete_request", map[string]any{"code": "func f() {"}, func(r map[string]any) bool { return r["status"] == "incomplete" && r["indent"] == "\t" }},
		{"complete_request", map[string]any{"code": "fm", "cursor_pos": 2}, func(r map[string]any) bool { return fmt.Sprint(r["matches"]) == "[fmx]" && r["cursor_end"] == 2.0 }},
		{"inspect_request", map[string]any{"code": "x", "cursor_pos": 1}, func(r map[string]any) bool { return r["found"] == true }},
		{"comm_info_request", map[string]any{}, func(r map[string]any) bool { return len(r["comms"].(map[string]any)) == 0 }},
		{"history_request", map[string]any{"hist_access_type": "tail", "n": 10}, func(r map[string]any) bool { return r["status"] == "ok" }},
	} {
		c.send(c.shell, tt.msgType, tt.content)
		rep := c.recv(c.shell)
		if got := content(t, rep); !tt.check(got) {
			t.Errorf("%s: reply %s = %v", tt.msgType, rep.Header.MsgType, got)
		}
	}
}

func TestShutdown(t *testing.T) {
	exec := &fakeExecutor{}
	c, _, done := startKernel(t, exec)
	c.send(c.control, "shutdown_request", map[string]any{"restart": true})
	if r := content(t, c.recv(c.control)); r["restart"] != true {
		t.Fatalf("restart reply = %v", r)
	}
	exec.mu.Lock()
	if exec.restarts != 1 {
		t.Errorf("restarts = %d", exec.restarts)
	}
	exec.mu.Unlock()
	c.send(c.shell, "execute_request", map[string]any{"code": "value x"})
	if r := content(t, c.recv(c.shell)); r["execution_count"] != 1.0 {
		t.Errorf("count after restart = %v, want 1", r["execution_count"])
	}

	c.send(c.control, "shutdown_request", map[string]any{"restart": false})
	if r := c.recv(c.control); r.Header.MsgType != "shutdown_reply" {
		t.Fatalf("got %q", r.Header.MsgType)
	}
	select {
	case <-done.done:
		if done.err != nil {
			t.Fatalf("Run = %v", done.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("kernel did not stop after shutdown_request")
	}
	exec.mu.Lock()
	defer exec.mu.Unlock()
	if !exec.closed {
		t.Error("executor not closed")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := &wire.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 5}
	if _, err := New(Config{Conn: good}); err == nil {
		t.Error("no executor accepted")
	}
	if _, err := New(Config{Executor: &fakeExecutor{}}); err == nil {
		t.Error("no connection accepted")
	}
	remote := *good
	remote.IP = "0.0.0.0"
	if _, err := New(Config{Conn: &remote, Executor: &fakeExecutor{}, HistoryFile: "-"}); !errors.Is(err, ErrUnsignedRemote) {
		t.Errorf("unsigned remote: err = %v, want ErrUnsignedRemote", err)
	}
	if _, err := New(Config{Conn: &remote, Executor: &fakeExecutor{}, AllowUnsigned: true, HistoryFile: "-"}); err != nil {
		t.Errorf("unsigned remote allowed explicitly: %v", err)
	}
	remote.Key, remote.SignatureScheme = "k", wire.SchemeHMACSHA256
	if _, err := New(Config{Conn: &remote, Executor: &fakeExecutor{}, HistoryFile: "-"}); err != nil {
		t.Errorf("signed remote: %v", err)
	}
	bad := *good
	bad.HBPort = 0
	if _, err := New(Config{Conn: &bad, Executor: &fakeExecutor{}}); err == nil {
		t.Error("bad connection accepted")
	}
}

func TestBindFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	p := freePorts(t, 4)
	conn := &wire.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], IOPubPort: p[1], StdinPort: p[2], ControlPort: p[3], HBPort: taken}
	k, err := New(Config{Conn: conn, Executor: &fakeExecutor{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HistoryFile: "-"})
	if err != nil {
		t.Fatal(err)
	}
	err = k.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "hb") {
		t.Fatalf("Run = %v, want a bind error naming hb", err)
	}
}

// TestHostilePeersDoNotBlock checks the guard sits in front of every socket:
// with a silent TCP connection and a half greeting held open on each port, a
// client that connects afterwards is still served.
func TestHostilePeersDoNotBlock(t *testing.T) {
	c, k, _ := startKernel(t, &fakeExecutor{})
	for _, ch := range wire.Channels {
		addr := strings.TrimPrefix(k.cfg.Conn.Endpoint(ch), "tcp://")
		for _, junk := range [][]byte{nil, {0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f}} {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write(junk)
		}
		// A frame header claiming 2^62 bytes would crash a bare zmq4.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\x03\x00NULL"))
	}
	late := zmq4.NewDealer(context.Background(), zmq4.WithDialerMaxRetries(50))
	defer late.Close()
	if err := late.Dial(k.cfg.Conn.Endpoint(wire.Shell)); err != nil {
		t.Fatal(err)
	}
	c.send(late, "kernel_info_request", map[string]any{})
	if r := c.recv(late); r.Header.MsgType != "kernel_info_reply" {
		t.Fatalf("late client got %q", r.Header.MsgType)
	}
	if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.hb.Recv(); err != nil {
		t.Fatal(err)
	}
}

func TestComms(t *testing.T) {
	c, _, _ := startKernel(t, &fakeExecutor{})
	info := func(target string) map[string]any {
		t.Helper()
		c.send(c.shell, "comm_info_request", map[string]any{"target_name": target})
		return content(t, c.recv(c.shell))["comms"].(map[string]any)
	}
	// An unknown target is closed at once.
	req := c.send(c.shell, "comm_open", map[string]any{"comm_id": "c1", "target_name": "nobody", "data": map[string]any{}})
	if got := types(c.iopubFor(req)); got != "status,comm_close,status" {
		t.Fatalf("iopub for an unknown target = %s", got)
	}
	if got := info(""); len(got) != 0 {
		t.Fatalf("comms after a refused open = %v", got)
	}
	// A known one is listed until it is closed.
	req = c.send(c.shell, "comm_open", map[string]any{"comm_id": "c2", "target_name": "echo", "data": map[string]any{}})
	c.iopubFor(req)
	if got := info("echo"); len(got) != 1 || got["c2"] == nil {
		t.Fatalf("comms of echo = %v", got)
	}
	if got := info("other"); len(got) != 0 {
		t.Fatalf("comms of other = %v", got)
	}
	req = c.send(c.shell, "comm_close", map[string]any{"comm_id": "c2", "data": map[string]any{}})
	c.iopubFor(req)
	if got := info(""); len(got) != 0 {
		t.Fatalf("comms after close = %v", got)
	}
}
