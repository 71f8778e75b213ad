package system

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// Disk is the usage of one mounted file system, in bytes.
type Disk struct {
	Device     string // "/dev/mmcblk0p2"
	MountPoint string
	FSType     string
	Total      uint64
	Free       uint64 // free blocks, including those reserved for root
	Available  uint64 // free blocks an unprivileged user may use
	Used       uint64 // Total - Free
}

// UsedPercent is the share of the space an unprivileged user can have that
// is used, from 0 to 100, as df shows it.
func (d Disk) UsedPercent() float64 {
	if d.Used+d.Available == 0 {
		return 0
	}
	return float64(d.Used) / float64(d.Used+d.Available) * 100
}

// Disks reports the usage of every file system on a block device (the
// device is a path, such as /dev/sda1), skipping pseudo file systems like
// proc and tmpfs. The mounts come from <proc>/self/mounts; the sizes from
// statfs of each mount point. A mount point that cannot be examined is left
// out.
func (f FS) Disks() ([]Disk, error) {
	const what = "disks"
	path := f.proc("self", "mounts")
	data, err := readFile(what, path)
	if err != nil {
		return nil, err
	}
	var out []Disk
	for _, m := range parseMounts(data) {
		d, err := DiskUsage(m.MountPoint)
		if err != nil {
			continue
		}
		d.Device, d.FSType = m.Device, m.FSType
		out = append(out, d)
	}
	return out, nil
}

// DiskUsage reports the usage of the file system holding path.
func DiskUsage(path string) (Disk, error) {
	d, err := statfs(path)
	if err != nil {
		return Disk{}, wrapErr("disk usage of "+path, err)
	}
	d.MountPoint = path
	return d, nil
}

// parseMounts returns the mounts of block devices in a mounts file, one per
// mount point (the last one mounted there wins, as it hides the others).
func parseMounts(data []byte) []Disk {
	var out []Disk
	at := make(map[string]int) // mount point → index in out
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// "/dev/vda1 / ext4 rw,relatime 0 0"
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || !strings.HasPrefix(fields[0], "/") {
			continue
		}
		d := Disk{Device: unescapeMount(fields[0]), MountPoint: unescapeMount(fields[1]), FSType: fields[2]}
		if i, ok := at[d.MountPoint]; ok {
			out[i] = d
			continue
		}
		at[d.MountPoint] = len(out)
		out = append(out, d)
	}
	return out
}

// unescapeMount decodes the octal escapes (\040 for a space) the kernel
// writes in mount paths.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
