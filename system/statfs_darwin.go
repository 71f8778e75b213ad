package system

import "syscall"

func statfs(path string) (Disk, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return Disk{}, err
	}
	bs := uint64(st.Bsize)
	total, free := st.Blocks*bs, st.Bfree*bs
	return Disk{Total: total, Free: free, Available: st.Bavail * bs, Used: total - free}, nil
}
