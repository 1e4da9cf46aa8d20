openstack flavor set win.large \
  --property xmlhooks:timer:kvmclock=present=no \
  --property xmlhooks:timer:hpet=present=yes
