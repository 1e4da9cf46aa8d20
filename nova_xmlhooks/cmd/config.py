#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Reading nova.conf the way nova-compute does, and naming what is wrong.

The command reads the same files as nova-compute: the ``--config-file``
and ``--config-dir`` arguments, or oslo.config's defaults for the ``nova``
project (``/etc/nova/nova.conf``, ``/etc/nova/nova.conf.d``...).

NOTE(xmlhooks): nova's own options that the command needs (where the
instances live, which libvirt to reach, which compute driver is set) are
read through a private ``ConfigOpts`` holding copies of nova's
declarations of just these options. Importing ``nova.conf`` for them would
cost half a second and register some 900 options at every start; a unit
test checks each copy against nova's own declaration and value.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
import dataclasses
import glob
import importlib.util
import os
import typing as ty

from oslo_config import cfg

from nova_xmlhooks.cmd import common
from nova_xmlhooks import conf as xmlhooks_conf
from nova_xmlhooks.conf import xmlhooks as xmlhooks_opts
from nova_xmlhooks import messages

CONF = xmlhooks_conf.CONF
PROJECT = 'nova'
PROG = 'nova-xmlhooks'
#: the compute driver that applies the customisations
DRIVER = 'xmlhooks.LibvirtDriver'


@dataclasses.dataclass(frozen=True)
class Source:
    """A ``--config-file`` or ``--config-dir`` argument.

    :ivar option: ``--config-file`` or ``--config-dir``
    :ivar path: the file or directory
    """

    option: str
    path: str

    def files(self) -> list[str]:
        """The files this argument makes oslo.config read, in order."""
        if self.option == '--config-file':
            return [self.path]
        # NOTE(xmlhooks): oslo.config reads the *.conf files of a
        # directory in sorted order.
        return sorted(glob.glob(os.path.join(self.path, '*.conf')))


def _pybasedir() -> str:
    # NOTE(xmlhooks): nova's default for pybasedir is the directory that
    # holds the nova package; find_spec locates it without importing it.
    spec = importlib.util.find_spec('nova')
    if spec is None or not spec.submodule_search_locations:
        return os.path.abspath(os.sep)
    package = next(iter(spec.submodule_search_locations))
    return os.path.dirname(os.path.abspath(package))


def nova_opts() -> dict[str, list[cfg.Opt]]:
    """Copies of nova's declarations of the options the command reads.

    :returns: a dict of group name to options
    """
    return {
        'DEFAULT': [
            cfg.StrOpt('compute_driver'),
            cfg.StrOpt('pybasedir', default=_pybasedir()),
            cfg.StrOpt('state_path', default='$pybasedir'),
            cfg.StrOpt('instances_path',
                       default=os.path.join('$state_path', 'instances')),
        ],
        'libvirt': [
            cfg.StrOpt('virt_type', default='kvm',
                       choices=('kvm', 'lxc', 'qemu', 'parallels')),
            cfg.StrOpt('connection_uri', default=''),
        ],
    }


class Configuration:
    """The parsed configuration of one run.

    :ivar conf: the global ``ConfigOpts`` with the ``[xmlhooks]`` options,
        as the driver reads it
    :ivar nova: a private ``ConfigOpts`` with nova's options of
        :func:`nova_opts`, read from the same files
    :ivar sources: the ``--config-file`` and ``--config-dir`` arguments
    """

    def __init__(self, sources: Iterable[Source]) -> None:
        """Read the configuration.

        :param sources: :class:`Source` objects, in command line order
        :raises: CommandError naming the file and the option at fault
        """
        self.sources = tuple(sources)
        args: list[str] = []
        for source in self.sources:
            args += [source.option, source.path]
        _refuse_file_dirs(self.sources)
        nova = nova_opts()
        _register_paths(CONF, nova['DEFAULT'])
        self.conf = _read(CONF, args, self.sources)
        self.nova = cfg.ConfigOpts()
        for group, opts in nova.items():
            self.nova.register_opts(opts, group=_group(group))
        _read(self.nova, args, self.sources)
        files = self.files()
        check_values(CONF, xmlhooks_opts.GROUP_NAME, xmlhooks_opts.ALL_OPTS,
                     files)
        for group, opts in nova.items():
            check_values(self.nova, group, opts, files)

    def files(self) -> list[str]:
        """The configuration files read, in the order oslo.config reads them.

        :returns: a list of paths
        """
        explicit = {source.option for source in self.sources}
        files: list[str] = []
        if '--config-file' not in explicit:
            files.extend(self.conf.default_config_files)
        if '--config-dir' not in explicit:
            for directory in self.conf.default_config_dirs:
                if os.path.exists(directory):
                    files.extend(Source('--config-dir', directory).files())
        for source in self.sources:
            files.extend(source.files())
        return files

    def nova_value(self, name: str, group: str = 'DEFAULT') -> ty.Any:
        """One of nova's options, as nova-compute reads it.

        :param name: the option's name
        :param group: the option's group
        :returns: the option's value
        """
        if group == 'DEFAULT':
            return getattr(self.nova, name)
        return getattr(getattr(self.nova, group), name)


def _group(name: str) -> str | None:
    return None if name == 'DEFAULT' else name


def _refuse_file_dirs(sources: Iterable[Source]) -> None:
    for source in sources:
        # NOTE(xmlhooks): oslo.config reads nothing from a --config-dir
        # that is a file, silently; it is said here, as a missing one is.
        if source.option == '--config-dir' and os.path.isfile(source.path):
            raise common.CommandError(
                'cannot read the configuration directory %s: not a '
                'directory' % source.path)


def _read(conf: cfg.ConfigOpts, args: Sequence[str],
          sources: Sequence[Source]) -> cfg.ConfigOpts:
    try:
        conf(args, project=PROJECT, prog=PROG)
    except (cfg.Error, OSError, ValueError) as e:
        # NOTE(xmlhooks): a missing or malformed file, or one that is a
        # directory or not UTF-8, which oslo.config lets out as
        # IsADirectoryError or UnicodeDecodeError.
        raise common.CommandError(read_error(e, sources))
    return conf


def _undecodable(sources: Iterable[Source]) -> str | None:
    # NOTE(xmlhooks): oslo.config lets a UnicodeDecodeError out, which
    # does not name the file, so the files the arguments name are tried in
    # turn.
    for source in sources:
        for path in source.files():
            try:
                with open(path, 'rb') as handle:
                    handle.read().decode('utf-8')
            except UnicodeDecodeError:
                return path
            except OSError:
                continue
    return None


def read_error(error: Exception, sources: Iterable[Source] = ()) -> str:
    """Word a configuration that cannot be read as one line.

    :param error: what oslo.config raised while reading the files: a
        ``cfg.Error``, an ``OSError`` or a ``ValueError`` such as
        ``UnicodeDecodeError``
    :param sources: the :class:`Source` arguments, which name the files
    :returns: the message, naming the file when it is known
    """
    if isinstance(error, cfg.ConfigFileParseError):
        return 'cannot read the configuration file %s: %s' % (
            error.config_file, messages.one_line(error.msg))
    if isinstance(error, (cfg.ConfigFilesNotFoundError,
                          cfg.ConfigFilesPermissionDeniedError)):
        reason = ('no such file' if isinstance(
            error, cfg.ConfigFilesNotFoundError) else 'permission denied')
        return 'cannot read the configuration file %s: %s' % (
            ', '.join(error.config_files), reason)
    if isinstance(error, cfg.ConfigDirNotFoundError):
        return 'cannot read the configuration directory %s: no such ' \
               'directory' % error.config_dir
    if isinstance(error, cfg.Error):
        return 'cannot read the configuration: %s' % messages.one_line(error)
    filename = getattr(error, 'filename', None)
    if isinstance(error, UnicodeDecodeError):
        filename, reason = _undecodable(sources), 'not UTF-8 text'
    elif isinstance(error, OSError):
        reason = error.strerror or str(error)
    else:
        reason = messages.one_line(error)
    if filename:
        return 'cannot read the configuration file %s: %s' % (filename,
                                                              reason)
    return 'cannot read the configuration: %s' % reason


def _register_paths(conf: cfg.ConfigOpts, opts: Iterable[cfg.Opt]) -> None:
    """Nova's path options, for ``$state_path`` in ``[xmlhooks]``.

    NOTE(xmlhooks): nova-compute has every option of Nova's on the global
    configuration, so a value of ours may refer to one; the command
    declares the ones it copies there too, unless Nova's own are.
    """
    for opt in opts:
        if opt.dest not in conf:
            conf.register_opt(opt)


def check_values(conf: cfg.ConfigOpts, group: str, opts: Iterable[cfg.Opt],
                 files: Sequence[str]) -> None:
    """Read every option once, so that a bad value is found at start.

    :param conf: a parsed ``ConfigOpts``
    :param group: the group name
    :param opts: the options of the group to check
    :param files: the files read, in order, to name the one at fault
    :raises: CommandError naming the option, the file and the reason
    """
    for opt in opts:
        try:
            _value(conf, group, opt.dest)
        except cfg.ConfigSourceValueError as e:
            raise common.CommandError(value_error(e, group, opt, files))
        except (cfg.TemplateSubstitutionError, cfg.NoSuchOptError):
            # NOTE(xmlhooks): oslo.config names the option it was reading
            # when a $name names no option, not always the $name.
            raise common.CommandError(
                'configuration: option [%s] %s is not valid: a $ '
                'reference in its value names no option this command '
                'knows' % (group, opt.name))


def _value(conf: cfg.ConfigOpts, group: str, name: str) -> ty.Any:
    if group == 'DEFAULT':
        return getattr(conf, name)
    return getattr(getattr(conf, group), name)


def value_error(error: cfg.ConfigSourceValueError, group: str, opt: cfg.Opt,
                files: Sequence[str]) -> str:
    """Word a bad option value as one line, without parsing oslo's text.

    NOTE(xmlhooks): the file is found by reading each file alone.

    :param error: the ``cfg.ConfigSourceValueError``
    :param group: the option's group
    :param opt: the option
    :param files: the files read, in order
    :returns: ``configuration: option [GROUP] NAME in FILE is not valid:
        REASON``
    """
    reason = xmlhooks_conf.value_reason(error)
    where = file_of_value(group, opt, files)
    return 'configuration: option [%s] %s%s is not valid: %s' % (
        group, opt.name, ' in %s' % where if where else '', reason)


def file_of_value(group: str, opt: cfg.Opt,
                  files: Sequence[str]) -> str | None:
    """The last of the files that sets a bad value for an option.

    :param group: the option's group, ``DEFAULT`` for none
    :param opt: the ``oslo_config.cfg.Opt``
    :param files: the configuration files, in the order they are read
    :returns: the path, or ``None`` if no file alone has a bad value (it
        came from the environment, say)
    """
    for path in reversed(files):
        private = cfg.ConfigOpts()
        private.register_opt(opt, group=_group(group))
        try:
            private(['--config-file', path], project=None,
                    default_config_files=[], default_config_dirs=[],
                    use_env=False)
            _value(private, group, opt.dest)
        except cfg.ConfigSourceValueError:
            return path
        except (cfg.Error, OSError, ValueError):
            continue
    return None
