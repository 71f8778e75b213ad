package system

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// pi is a copy of the files a Raspberry Pi 4 exposes, trimmed.
var pi = FS{Proc: "testdata/pi/proc", Sys: "testdata/pi/sys"}

// tree writes files (path relative to the root → contents) under a fresh
// directory and returns an FS rooted there.
func tree(t *testing.T, files map[string]string) FS {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return FS{Proc: filepath.Join(root, "proc"), Sys: filepath.Join(root, "sys")}
}

const kB = 1024

func TestReaders(t *testing.T) {
	page := uint64(os.Getpagesize())
	tests := []struct {
		name string
		read func(FS) (any, error)
		want any
	}{
		{"uptime", func(f FS) (any, error) { return f.Uptime() }, 12345*time.Second + 670*time.Millisecond},
		{"load", func(f FS) (any, error) { return f.LoadAverage() },
			Load{One: 0.52, Five: 0.38, Fifteen: 1.05, Running: 2, Threads: 183}},
		{"memory", func(f FS) (any, error) { return f.Memory() }, Memory{
			Total: 3884096 * kB, Available: 3400160 * kB, Free: 2719576 * kB,
			Used:   (3884096 - 2719576 - 40320 - 690552 - 32420) * kB,
			Active: 368016 * kB, Inactive: 612228 * kB, Buffers: 40320 * kB,
			Cached: (690552 + 32420) * kB, Shared: 17720 * kB, Slab: 61132 * kB,
		}},
		{"cpu times", func(f FS) (any, error) { return f.CPUTimes() }, CPUTimes{
			User: 10132153 * 10 * time.Millisecond, Nice: 290696 * 10 * time.Millisecond,
			System: 3084719 * 10 * time.Millisecond, Idle: 46828483 * 10 * time.Millisecond,
			IOWait: 16683 * 10 * time.Millisecond, SoftIRQ: 25195 * 10 * time.Millisecond,
		}},
		{"network", func(f FS) (any, error) { return f.NetworkCounters() }, []NetInterface{
			{Name: "lo", RxBytes: 29846, RxPackets: 312, TxBytes: 29846, TxPackets: 312},
			{Name: "eth0", RxBytes: 98765432, RxPackets: 81234, RxErrors: 1, RxDropped: 2,
				TxBytes: 12345678, TxPackets: 54321, TxErrors: 3, TxDropped: 4},
			{Name: "wlan0"},
		}},
		{"temperatures in zone order", func(f FS) (any, error) { return f.Temperatures() }, []Temperature{
			{Zone: "thermal_zone0", Type: "cpu-thermal", Celsius: 48.312},
			{Zone: "thermal_zone1", Type: "gpu-thermal", Celsius: -1.5},
			{Zone: "thermal_zone10", Type: "pmic", Celsius: 51},
		}},
		{"process with pss", func(f FS) (any, error) { return f.Process(100) },
			Process{PID: 100, PPID: 1, State: "S", CPUTime: 3 * time.Second, RSS: 3000 * page, PSS: 9000 * kB}},
		{"process with parentheses in its name", func(f FS) (any, error) { return f.Process(201) },
			Process{PID: 201, PPID: 200, State: "S", CPUTime: 30 * time.Millisecond, RSS: 100 * page}},
		{"descendants skip zombies", func(f FS) (any, error) {
			d, err := f.Descendants(100)
			slices.Sort(d)
			return d, err
		}, []int{200, 201, 300}},
		{"descendants of a leaf", func(f FS) (any, error) { return f.Descendants(201) }, []int(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.read(pi)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name            string
		files           map[string]string
		read            func(FS) error
		wantErr         string // in the error's text
		wantUnavailable bool
	}{
		{"no uptime", nil, func(f FS) error { _, err := f.Uptime(); return err }, "uptime", true},
		{"bad uptime", map[string]string{"proc/uptime": "soon\n"},
			func(f FS) error { _, err := f.Uptime(); return err }, `"soon" is not a number of seconds`, false},
		{"short loadavg", map[string]string{"proc/loadavg": "0.1 0.2\n"},
			func(f FS) error { _, err := f.LoadAverage(); return err }, "want at least 4 fields", false},
		{"bad loadavg threads", map[string]string{"proc/loadavg": "0.1 0.2 0.3 many 7\n"},
			func(f FS) error { _, err := f.LoadAverage(); return err }, `"many" is not running/total`, false},
		{"meminfo without total", map[string]string{"proc/meminfo": "MemFree: 1 kB\n"},
			func(f FS) error { _, err := f.Memory(); return err }, "no MemTotal", false},
		{"stat without cpu line", map[string]string{"proc/stat": "intr 1 2\n"},
			func(f FS) error { _, err := f.CPUTimes(); return err }, "first line is not the cpu total", false},
		{"net/dev short line", map[string]string{"proc/net/dev": "h1\nh2\n  eth0: 1 2 3\n"},
			func(f FS) error { _, err := f.NetworkCounters(); return err }, "unexpected format", false},
		{"no thermal zones", map[string]string{"sys/class/thermal/cooling_device0/type": "fan\n"},
			func(f FS) error { _, err := f.Temperatures(); return err }, "no thermal zones", true},
		{"every zone unreadable", map[string]string{"sys/class/thermal/thermal_zone0/temp": "hot\n"},
			func(f FS) error { _, err := f.Temperatures(); return err }, `"hot" is not millidegrees`, false},
		{"no such process", map[string]string{"proc/uptime": "1 1\n"},
			func(f FS) error { _, err := f.Process(42); return err }, "process 42", true},
		{"garbled process", map[string]string{"proc/42/stat": "42 no parentheses\n"},
			func(f FS) error { _, err := f.Process(42); return err }, "no command name", false},
		{"no mounts", nil, func(f FS) error { _, err := f.Disks(); return err }, "disks", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tree(t, tt.files))
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "system: ") {
				t.Errorf("error %q, want it to start with \"system: \" and contain %q", err, tt.wantErr)
			}
			if got := errors.Is(err, ErrUnavailable); got != tt.wantUnavailable {
				t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v (err %v)", got, tt.wantUnavailable, err)
			}
		})
	}
}

func TestTemperaturesSkipsUnreadableZones(t *testing.T) {
	f := tree(t, map[string]string{
		"sys/class/thermal/thermal_zone0/temp": "oops\n",
		"sys/class/thermal/thermal_zone1/temp": "30000\n",
	})
	got, err := f.Temperatures()
	if err != nil {
		t.Fatal(err)
	}
	want := []Temperature{{Zone: "thermal_zone1", Celsius: 30}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestMemoryWithoutMemAvailable(t *testing.T) {
	f := tree(t, map[string]string{"proc/meminfo": "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 kB\n"})
	m, err := f.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(310 * kB); m.Available != want {
		t.Errorf("Available = %d, want free+buffers+cached = %d", m.Available, want)
	}
	if got, want := m.UsedPercent(), 69.0; got != want {
		t.Errorf("UsedPercent = %v, want %v", got, want)
	}
}

func TestParseMounts(t *testing.T) {
	data, err := os.ReadFile("testdata/pi/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	want := []Disk{
		{Device: "/dev/root", MountPoint: "/", FSType: "ext4"},
		// mounted twice: the later mount hides the earlier one
		{Device: "/dev/sda2", MountPoint: "/boot/firmware", FSType: "ext4"},
		{Device: "/dev/sda1", MountPoint: "/media/usb stick", FSType: "exfat"},
	}
	if got := parseMounts(data); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestCPUBusyPercent(t *testing.T) {
	before := CPUTimes{User: 100 * time.Second, Idle: 300 * time.Second}
	tests := []struct {
		name  string
		after CPUTimes
		want  float64
	}{
		{"a quarter busy", CPUTimes{User: 101 * time.Second, Idle: 303 * time.Second}, 25},
		{"iowait is not busy", CPUTimes{User: 100 * time.Second, Idle: 300 * time.Second, IOWait: time.Second}, 0},
		{"no time passed", before, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.after.BusyPercent(before); got != tt.want {
				t.Errorf("BusyPercent = %v, want %v", got, tt.want)
			}
		})
	}
}

// The live system: this test runs where the package is meant for.
func TestLiveSystem(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	var f FS
	self, err := f.Process(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if self.PPID != os.Getppid() || self.RSS == 0 {
		t.Errorf("Process(self) = %+v, want ppid %d and a resident size", self, os.Getppid())
	}
	d, err := DiskUsage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d.Total == 0 || d.Used > d.Total || d.Available > d.Free {
		t.Errorf("DiskUsage = %+v: want total > 0, used <= total, available <= free", d)
	}
	if _, err := f.Disks(); err != nil {
		t.Error(err)
	}
}
