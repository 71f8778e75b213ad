package kernel

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gokernel/gokernel/system"
)

func TestUsageContent(t *testing.T) {
	proc := func(cpu time.Duration, rss uint64) system.Process { return system.Process{CPUTime: cpu, RSS: rss} }
	host := func(busy, idle time.Duration) system.CPUTimes { return system.CPUTimes{User: busy, Idle: idle} }
	tests := []struct {
		name    string
		before  usageSample
		after   usageSample
		elapsed time.Duration
		want    map[string]any // the fields besides pid, cpu_count, hostname
	}{
		{
			name: "kernel and worker",
			before: usageSample{procs: map[int]system.Process{1: proc(time.Second, 10), 2: proc(5*time.Second, 20)},
				host: host(10*time.Second, 30*time.Second)},
			after: usageSample{procs: map[int]system.Process{1: proc(time.Second+10*time.Millisecond, 11), 2: proc(5*time.Second+140*time.Millisecond, 20)},
				host: host(11*time.Second, 33*time.Second)},
			elapsed: 100 * time.Millisecond,
			want:    map[string]any{"kernel_cpu": 150.0, "kernel_memory": uint64(31), "host_cpu_percent": 25.0},
		},
		{
			name:    "a worker started during the window counts for memory only",
			before:  usageSample{procs: map[int]system.Process{1: proc(0, 10)}, host: host(0, 0)},
			after:   usageSample{procs: map[int]system.Process{1: proc(0, 10), 3: proc(time.Second, 5)}, host: host(0, 0)},
			elapsed: 100 * time.Millisecond,
			want:    map[string]any{"kernel_cpu": 0.0, "kernel_memory": uint64(15)},
		},
		{
			name:    "pss is preferred to rss",
			before:  usageSample{procs: map[int]system.Process{1: {RSS: 100, PSS: 60}}, hostErr: system.ErrUnavailable},
			after:   usageSample{procs: map[int]system.Process{1: {RSS: 100, PSS: 60}}, hostErr: system.ErrUnavailable},
			elapsed: time.Second,
			want:    map[string]any{"kernel_cpu": 0.0, "kernel_memory": uint64(60)},
		},
		{
			name:    "nothing readable (not Linux)",
			before:  usageSample{procs: map[int]system.Process{}, hostErr: system.ErrUnavailable},
			after:   usageSample{procs: map[int]system.Process{}, hostErr: system.ErrUnavailable},
			elapsed: time.Second,
			want:    map[string]any{},
		},
	}
	hostname, _ := os.Hostname()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := usageContent(42, tt.before, tt.after, tt.elapsed)
			want := map[string]any{"pid": 42, "cpu_count": runtime.NumCPU(), "hostname": hostname}
			for k, v := range tt.want {
				want[k] = v
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

func TestTakeUsageSampleReadsTheProcessTree(t *testing.T) {
	root := t.TempDir()
	stat := func(ppid int, utime string) string {
		return "x (gokernel) S " + strconv.Itoa(ppid) + " 1 1 0 -1 0 0 0 0 0 " + utime + " 0 0 0 20 0 1 0 5 1000 7 0\n"
	}
	files := map[string]string{
		"stat":    "cpu  100 0 50 850 0 0 0 0 0 0\n",
		"10/stat": stat(1, "300"),  // the kernel
		"11/stat": stat(10, "200"), // its worker
		"12/stat": stat(11, "100"), // a shell command the worker runs
		"13/stat": stat(1, "999"),  // someone else's process
	}
	for name, body := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := takeUsageSample(system.FS{Proc: root}, 10)
	if s.hostErr != nil {
		t.Fatal(s.hostErr)
	}
	var pids []int
	var cpu time.Duration
	for pid, p := range s.procs {
		pids = append(pids, pid)
		cpu += p.CPUTime
	}
	if len(pids) != 3 || s.procs[10].PID != 10 || s.procs[12].PPID != 11 {
		t.Errorf("sampled %v, want the kernel 10, its worker 11 and the worker's child 12", s.procs)
	}
	if cpu != 6*time.Second {
		t.Errorf("tree cpu = %v, want 6s", cpu)
	}
}

// TestUsageRequestOnControl asks a running kernel over real sockets.
func TestUsageRequestOnControl(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: usage_reply carries only what is known without it")
	}
	// A child stands in for the worker: its memory must count.
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skip("cannot start a child process:", err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })

	if s := takeUsageSample(system.FS{}, os.Getpid()); s.procs[child.Process.Pid].PID == 0 {
		t.Errorf("the live sample %v misses the child %d", s.procs, child.Process.Pid)
	}

	c, _, _ := startKernel(t, &fakeExecutor{})
	req := c.send(c.control, "usage_request", map[string]any{})
	rep := c.recv(c.control)
	if rep.Header.MsgType != "usage_reply" {
		t.Fatalf("reply type %q, want usage_reply", rep.Header.MsgType)
	}
	got := content(t, rep)
	for _, key := range []string{"hostname", "pid", "cpu_count", "kernel_cpu", "kernel_memory", "host_virtual_memory"} {
		if _, ok := got[key]; !ok {
			t.Errorf("usage_reply lacks %q: %v", key, got)
		}
	}
	if got["pid"] != float64(os.Getpid()) || got["cpu_count"] != float64(runtime.NumCPU()) {
		t.Errorf("pid, cpu_count = %v, %v; want %d, %d", got["pid"], got["cpu_count"], os.Getpid(), runtime.NumCPU())
	}
	self, err := system.FS{}.Process(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if mem, _ := got["kernel_memory"].(float64); mem <= float64(self.Memory())/2 {
		t.Errorf("kernel_memory = %v, want about this process's %d or more", got["kernel_memory"], self.Memory())
	}
	vm, _ := got["host_virtual_memory"].(map[string]any)
	for _, key := range []string{"total", "available", "percent", "used", "free", "active", "inactive", "buffers", "cached", "shared", "slab"} {
		if _, ok := vm[key]; !ok {
			t.Errorf("host_virtual_memory lacks %q: %v", key, vm)
		}
	}
	if got := types(c.iopubFor(req)); got != "status,status" {
		t.Errorf("iopub = %s, want busy and idle", got)
	}
}
