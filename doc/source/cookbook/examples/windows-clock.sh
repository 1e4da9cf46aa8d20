openstack flavor set win.large \
  --property xmlhooks:timer:kvmclock=present=no \
  --property xmlhooks:timer:rtc=present=yes,tickpolicy=catchup
