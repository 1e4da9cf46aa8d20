openstack flavor set lic.medium \
  --property xmlhooks:smbios:system.manufacturer=ACME \
  --property 'xmlhooks:smbios:system.serial={instance_uuid}' \
  --property xmlhooks:smbios:baseboard.manufacturer=ACME \
  --property xmlhooks:smbios:baseboard.product=LIC-2000 \
  --property 'xmlhooks:smbios:chassis.asset=lic-{instance_uuid}' \
  --property xmlhooks:smbios:oem.0=licence-pool=gold
