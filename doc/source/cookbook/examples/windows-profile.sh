openstack flavor set win.large \
  --property xmlhooks:profile=windows \
  --property xmlhooks:hyperv:vendor_id=ACMEACMEACME
