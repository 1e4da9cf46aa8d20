# On compute and API hosts, next to the nova classes.

# pip installs into the Python that runs Nova; the package makes the driver
# module visible to Nova by itself, so no link into Nova's tree is needed.
# Puppet's pip3 provider runs pip3, which the distributions ship in
# python3-pip.
ensure_packages(['python3-pip'])

package { 'nova-xmlhooks':
  ensure          => installed,
  provider        => 'pip3',
  # Debian and Ubuntu mark their Python as externally managed (PEP 668),
  # and nova-xmlhooks has no distribution package. pip knows the option
  # from 23.0.1 on, as on every platform with Python 3.11 or later.
  install_options => ['--break-system-packages'],
  # After Nova's own package, so that pip finds Nova installed and never
  # fetches it from the index.
  require         => [Package['python-nova'], Package['python3-pip']],
  # In puppet-nova's install phase: a change restarts the Nova services
  # of the host, whichever they are, through its anchors.
  tag             => ['openstack', 'nova-package'],
}

nova_config {
  'xmlhooks/profile_dirs': value => '/etc/nova/xmlhooks.d';
  'xmlhooks/on_error':     value => 'fail';
}

# The profiles, from a module of your own; in the config phase, so that a
# change restarts the Nova services too.
file { '/etc/nova/xmlhooks.d':
  ensure  => directory,
  source  => 'puppet:///modules/profile/nova-xmlhooks',
  recurse => true,
  purge   => true,
  owner   => 'root',
  group   => 'root',
  mode    => '0644',
  require => Anchor['nova::config::begin'],
  notify  => Anchor['nova::config::end'],
}
