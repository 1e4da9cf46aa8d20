openstack flavor set m1.server \
  --property "xmlhooks:xml:tablet=xpath.delete=./devices/input[@type='tablet']"
