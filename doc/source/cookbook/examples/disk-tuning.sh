openstack flavor set db.large \
  --property "xmlhooks:xml:cache=./devices/disk[@device='disk']/driver/@cache=directsync" \
  --property "xmlhooks:xml:io=./devices/disk[@device='disk']/driver/@io=native" \
  --property "xmlhooks:xml:discard=./devices/disk[@device='disk']/driver/@discard=unmap"
