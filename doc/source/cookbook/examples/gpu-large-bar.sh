openstack flavor set gpu.a100 \
  --property xmlhooks:qemu:arg.0=-fw_cfg \
  --property xmlhooks:qemu:arg.1=name=opt/ovmf/X-PciMmio64Mb,string=262144
