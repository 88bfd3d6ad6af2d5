# Build the directory tree of an ESXi host's vm-support bundle (sourced by tests/integration/bundle*.sh).
# Shapes from ../shared/reference/vmware-checkpoint.md §7 and esxi-zdump-and-logs.md §4: a root
# esx-HOST-DATE--TIME-PID/ with commands/, etc/vmware/hostd/vmInventory.xml (vmxCfgPath through a
# datastore-name link), vmfs/volumes/UUID/VM/ directories, var/run/log/, var/core/; files over a size
# split as NAME.FRAG-00000... by split(1), the way vm-support's reconstruct.sh expects them.
#
# host_tree DIR HOST VMSS VMEM : DIR/esx-HOST-2024-01-02--03.04-1234 with VM web01 in vm1/ whose
#   checkpoint is VMSS + VMEM (FRAG-split: 10000-byte .vmss pieces, 10 MiB .vmem pieces), plus
#   db01 (in vmInventory.xml, no checkpoint), orphan01 (a .vmx vmInventory.xml does not list),
#   novmx/ (a .vmss.gz and no .vmx: VM "novmx"), host logs and var/core zdumps.
# Prints the root's name.
host_tree() {
	local dir=$1 host=$2 vmss=$3 vmem=$4
	local r=esx-$host-2024-01-02--03.04-1234
	local ds=$dir/$r/vmfs/volumes/5f00-uuid
	mkdir -p "$dir/$r/commands" "$dir/$r/etc/vmware/hostd" "$ds/vm1" "$ds/db & cache" "$ds/orphan" "$ds/novmx" \
		"$dir/$r/var/run/log" "$dir/$r/var/core"
	printf 'VMware ESXi 7.0.3 build-21930508\nVMware ESXi 7.0 Update 3\n' >"$dir/$r/commands/vmware_-vl.txt"
	printf 'VMkernel %s.example.com 7.0.3 #1 SMP Release build-21930508 Jun 23 2023 x86_64 x86_64 x86_64 ESXi\n' \
		"$host" >"$dir/$r/commands/uname_-a.txt"
	cat >"$dir/$r/etc/vmware/hostd/vmInventory.xml" <<'EOF'
<ConfigRoot>
  <ConfigEntry id="0000">
    <objID>1</objID>
    <secDomain>23</secDomain>
    <vmxCfgPath>/vmfs/volumes/datastore1/vm1/vm1.vmx</vmxCfgPath>
  </ConfigEntry>
  <ConfigEntry id="0001">
    <objID>2</objID>
    <secDomain>24</secDomain>
    <vmxCfgPath>/vmfs/volumes/datastore1/db &amp; cache/db.vmx</vmxCfgPath>
  </ConfigEntry>
</ConfigRoot>
EOF
	ln -s 5f00-uuid "$dir/$r/vmfs/volumes/datastore1"
	printf '.encoding = "UTF-8"\nconfig.version = "8"\nvirtualHW.version = "19"\ndisplayName = "web01"\nguestOS = "debian12-64"\nmemSize = "256"\n' \
		>"$ds/vm1/vm1.vmx"
	printf '2024-01-02T03:04:05.123Z In(05) vmx - Log for VMware ESX pid=2099 version=7.0.3 build=build-21930508 option=Release\n' \
		>"$ds/vm1/vmware.log"
	printf '2024-01-01T00:00:00.000Z In(05) vmx - Log for VMware ESX pid=1000 version=7.0.3 build=build-21930508 option=Release\n' \
		>"$ds/vm1/vmware-1.log"
	(cd "$ds/vm1" && split -b 10000 -d -a 5 "$vmss" vm1.vmss.FRAG- && split -b 10485760 -d -a 5 "$vmem" vm1.vmem.FRAG-)
	head -c 5000 /dev/urandom >"$ds/vm1/vmx-zdump.000"
	printf 'monitor core\n' | gzip >"$ds/vm1/vmmcores.gz"
	printf 'displayName = "db01"\n' >"$ds/db & cache/db.vmx"
	printf 'displayName = "orphan01"\nguestOS = "other-64"\n' >"$ds/orphan/orphan.vmx"
	head -c 3000 /dev/urandom | gzip >"$ds/novmx/novmx.vmss.gz"
	printf '2024-01-02T03:04:05.678Z cpu1:2097603)World: vm 2097604: 7707: Starting world vmm0:web01\n' \
		>"$dir/$r/var/run/log/vmkernel.log"
	printf '2024-01-02T03:04:06.000Z info hostd[2099] [Originator@6876 sub=Default] started\n' >"$dir/$r/var/run/log/hostd.log"
	printf '2024-01-02T03:04:07.000Z: [netCorrelator] 1234us: [vob.net.vmnic.linkstate.up] vmnic0 up\n' >"$dir/$r/var/run/log/vobd.log"
	printf 'older vmkernel log\n' | gzip >"$dir/$r/var/run/log/vmkernel.0.gz"
	head -c 4096 /dev/urandom >"$dir/$r/var/core/vmkernel-zdump.1"
	head -c 4096 /dev/urandom >"$dir/$r/var/core/hostd-zdump.000"
	echo "$r"
}

# bytes PATH... : the total size of the files
bytes() { cat "$@" | wc -c; }

# small_guest_setup: GDIR and FX of the small guest, a private T (with MNT, a mount point for a small
# tmpfs) removed at exit; on failure the test says so and ends
small_guest_setup() {
	need_deps
	GDIR=$("$ROOT/testdata/guest.sh" small) || { fail guest "testdata/guest.sh small failed"; finish; }
	FX=$("$ROOT/testdata/fixtures.sh" small) || { fail fixtures "testdata/fixtures.sh small failed"; finish; }
	T=$(mktemp -d)
	MNT=$T/small
	trap 'mountpoint -q "$MNT" && umount "$MNT"; rm -rf "$T"' EXIT
}
