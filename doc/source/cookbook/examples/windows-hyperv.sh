openstack flavor set win.large \
  --property xmlhooks:hyperv:stimer=on \
  --property xmlhooks:hyperv:stimer.direct=on \
  --property xmlhooks:hyperv:evmcs=on \
  --property xmlhooks:hyperv:vendor_id=KVMKVMKVM
