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

"""What a guest's disk really is, as ``qemu-img info`` tells it.

NOTE(xmlhooks): ``show`` runs as root on images whose contents the guest
writes. A format that qemu-img has to guess is what OSSA-2024-001 was
about: a guest that writes a qcow2 header into its raw disk would make a
probing qemu-img open a backing file of the guest's choice (a host file,
an NBD server). So every image is opened with the format the domain XML
gives, through ``--image-opts`` so that no file name is read as a
protocol, one image at a time, and a backing file is followed only when
the image records its format and it is a local file.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import json
import os
import stat
import subprocess
import typing as ty

if ty.TYPE_CHECKING:
    from lxml import etree

QEMU_IMG = 'qemu-img'
#: seconds to wait for qemu-img; an image on a hung NFS mount blocks it
TIMEOUT = 30
#: formats qemu-img is asked to open, as ``<driver type>`` names them
FORMATS = frozenset(('raw', 'qcow2', 'qed', 'vmdk', 'vdi', 'vpc', 'vhdx'))
#: the deepest backing chain followed
MAX_DEPTH = 16
#: the units of :func:`human_size`, powers of 1024 as qemu-img prints them
UNITS = ('B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB')


class DiskInfoError(Exception):
    """``qemu-img info`` could not describe a disk."""


def human_size(size: int | None) -> str:
    """Format a byte count the way ``qemu-img info`` does, e.g. ``1 GiB``.

    :param size: a number of bytes, or ``None``
    :returns: a short string
    """
    if size is None:
        return '?'
    if size < 1000:
        return '%d B' % size
    value = float(size)
    # NOTE(xmlhooks): like qemu-img, the next unit is taken from 1000 on,
    # not from 1024, so that "%.3g" has three digits for the value: 1000
    # MiB is "0.977 GiB". Unlike qemu-img, a value that only rounds to
    # 1000 (999.5 KiB) goes to the next unit too, where qemu-img prints
    # "1e+03 KiB". A 64-bit size stays below 1000 EiB.
    for unit in UNITS[1:]:
        value /= 1024
        text = '%.3g' % value
        if float(text) < 1000:
            return '%s %s' % (text, unit)
    return '%s %s' % (text, UNITS[-1])


def source_of(disk: etree._Element) -> str | None:
    """The host path or network name a ``<disk>`` element reads.

    :param disk: a ``<disk>`` element
    :returns: a string, or ``None`` for an empty drive
    """
    source = disk.find('source')
    if source is None:
        return None
    for attribute in ('file', 'dev', 'dir', 'volume'):
        if source.get(attribute):
            return source.get(attribute)
    if source.get('protocol'):
        return '%s:%s' % (source.get('protocol'), source.get('name', ''))
    return None


@dataclasses.dataclass(frozen=True)
class Layer:
    """One image of a backing chain.

    :ivar filename: the image
    :ivar format: its format, as it was opened
    :ivar virtual_size: the size the guest sees, in bytes
    :ivar actual_size: the space it takes on the host, in bytes
    :ivar backing_file: the image it records as its backing file, if any
    :ivar backing_format: the format it records for it, if any
    :ivar note: why the chain is not followed further, if it is not
    """

    filename: str
    format: str
    virtual_size: int | None = None
    actual_size: int | None = None
    backing_file: str | None = None
    backing_format: str | None = None
    note: str | None = None


def _image_opts(path: str, fmt: str) -> str:
    # NOTE(xmlhooks): a comma is doubled in --image-opts values; the file
    # protocol refuses block devices, which host_device reads.
    try:
        block = stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        block = False
    return 'driver=%s,file.driver=%s,file.filename=%s' % (
        fmt, 'host_device' if block else 'file', path.replace(',', ',,'))


def image_info(path: str, fmt: str) -> dict[str, ty.Any]:
    """Run ``qemu-img info`` on one image, without its backing chain.

    :param path: the image
    :param fmt: its format, one of :data:`FORMATS`
    :returns: the dict qemu-img prints with ``--output=json``
    :raises: DiskInfoError with one line saying why
    """
    command = [QEMU_IMG, 'info', '--output=json', '-U', '--image-opts',
               _image_opts(path, fmt)]
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=TIMEOUT, check=False)
    except FileNotFoundError:
        raise DiskInfoError('qemu-img is not installed; cannot describe '
                            'the image')
    except subprocess.TimeoutExpired:
        raise DiskInfoError('qemu-img info did not answer within %d s'
                            % TIMEOUT)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ['no message']
        raise DiskInfoError('qemu-img info failed: %s' % lines[-1])
    try:
        info = json.loads(result.stdout)
    except ValueError:
        raise DiskInfoError('qemu-img info printed something that is not '
                            'JSON')
    if not isinstance(info, dict):
        raise DiskInfoError('qemu-img info printed something unexpected')
    return info


def _stop_reason(backing: str, backing_format: str | None) -> str | None:
    """Why a backing file is not followed, or ``None`` to follow it."""
    if backing_format is None:
        return ('its format is not recorded in the image; not opened, as '
                'qemu-img would have to guess it')
    if backing_format not in FORMATS:
        return 'its format %s is not one show opens' % backing_format
    if not os.path.isabs(backing):
        return 'not a local file; not opened'
    try:
        mode = os.stat(backing).st_mode
    except OSError as e:
        return 'cannot be read: %s' % (e.strerror or e)
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        return 'not a regular file or block device; not opened'
    return None


def _layer(info: Mapping[str, ty.Any], path: str, fmt: str) -> Layer:
    backing = info.get('full-backing-filename') or info.get(
        'backing-filename')
    return Layer(filename=path, format=info.get('format', fmt),
                 virtual_size=info.get('virtual-size'),
                 actual_size=info.get('actual-size'),
                 backing_file=backing,
                 backing_format=info.get('backing-filename-format'))


def backing_chain(path: str, fmt: str | None) -> list[Layer]:
    """Describe an image and every image below it that is safe to open.

    NOTE(xmlhooks): ``-U`` (force share) lets qemu-img read an image that
    a running QEMU holds locked; the sizes it reports may lag a little.

    :param path: the image
    :param fmt: its format as the domain XML gives it (``driver/@type``)
    :returns: a list of :class:`Layer`, the image first; the last one has
        a ``note`` when the chain is not followed to its end
    :raises: DiskInfoError with one line saying why
    """
    if fmt is None or fmt not in FORMATS:
        given = ('no format' if not fmt else 'format %s' % fmt)
        raise DiskInfoError(
            '%s in the domain XML (driver/@type); not opened, as qemu-img '
            'would have to guess it (show opens %s)'
            % (given, ', '.join(sorted(FORMATS))))
    layers: list[Layer] = []
    while True:
        layer = _layer(image_info(path, fmt), path, fmt)
        note = None
        if layer.backing_file:
            note = _stop_reason(layer.backing_file, layer.backing_format)
            if note is None and len(layers) + 1 >= MAX_DEPTH:
                note = 'the chain is deeper than %d images' % MAX_DEPTH
        layers.append(dataclasses.replace(layer, note=note))
        # NOTE(xmlhooks): a backing file without a recorded format has a
        # note already (see _stop_reason); checking the format as well
        # tells type checkers that the next image's format is known.
        if (not layer.backing_file or note is not None or
                layer.backing_format is None):
            return layers
        path, fmt = layer.backing_file, layer.backing_format


def describe_layer(layer: Layer) -> list[str]:
    """The report lines of one image of a backing chain.

    :param layer: a :class:`Layer`
    :returns: a list of lines
    """
    lines = ['%s: %s, virtual size %s, actual size %s' % (
        layer.filename, layer.format, human_size(layer.virtual_size),
        human_size(layer.actual_size))]
    if layer.backing_file:
        lines.append('  backing file: %s (%s)' % (
            layer.backing_file, layer.backing_format or 'format not '
            'recorded'))
    if layer.note:
        lines.append('  backing file not followed: %s' % layer.note)
    return lines
