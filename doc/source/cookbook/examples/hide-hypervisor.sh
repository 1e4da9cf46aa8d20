openstack flavor set gpu.consumer \
  --property xmlhooks:kvm:hidden=on \
  --property xmlhooks:cpu:feature.hypervisor=disable
