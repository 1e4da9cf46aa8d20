# On compute hosts. puppet-nova already manages compute_driver, so set it
# through its class rather than a second nova_config resource.
class { 'nova::compute::libvirt':
  compute_driver => 'xmlhooks.LibvirtDriver',
}

# On compute and API hosts.
nova_config {
  'xmlhooks/profile_dirs': value => '/etc/nova/xmlhooks.d';
  'xmlhooks/on_error':     value => 'fail';
}

package { 'nova-xmlhooks':
  ensure   => installed,
  provider => 'pip3',
  notify   => Service['nova-compute'],
}

# Distribution packages put Nova in /usr/lib, pip puts nova-xmlhooks in
# /usr/local/lib: link the driver module into Nova's own package.
exec { 'nova-xmlhooks-link-driver':
  command => '/usr/bin/python3 -c "import os, nova.virt, nova_xmlhooks; d = os.path.dirname; os.symlink(os.path.join(d(d(nova_xmlhooks.__file__)), \'nova\', \'virt\', \'xmlhooks.py\'), os.path.join(d(nova.virt.__file__), \'xmlhooks.py\'))"',
  unless  => '/usr/bin/python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec(\'nova.virt.xmlhooks\') is None)"',
  require => Package['nova-xmlhooks'],
  notify  => Service['nova-compute'],
}
