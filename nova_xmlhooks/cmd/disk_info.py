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

"""What a guest's disk really is, as ``qemu-img info`` tells it."""

import json
import subprocess

QEMU_IMG = 'qemu-img'
#: seconds to wait for qemu-img; an image on a hung NFS mount blocks it
TIMEOUT = 30
#: the units of :func:`human_size`, powers of 1024 as qemu-img prints them
UNITS = ('B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB')


class DiskInfoError(Exception):
    """``qemu-img info`` could not describe a disk."""


def human_size(size):
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
        if float(text) < 1000 or unit == UNITS[-1]:
            return '%s %s' % (text, unit)


def source_of(disk):
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


def backing_chain(path):
    """Describe an image and every image below it.

    NOTE(xmlhooks): ``-U`` (force share) lets qemu-img read an image that
    a running QEMU holds locked; the sizes it reports may lag a little.

    :param path: the image
    :returns: a list of dicts from ``qemu-img info --output=json``, the
        image first and its base image last
    :raises: DiskInfoError with one line saying why
    """
    command = [QEMU_IMG, 'info', '--backing-chain', '--output=json', '-U',
               path]
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
        chain = json.loads(result.stdout)
    except ValueError:
        raise DiskInfoError('qemu-img info printed something that is not '
                            'JSON')
    return chain if isinstance(chain, list) else [chain]


def describe_layer(layer):
    """The report lines of one image of a backing chain.

    :param layer: one dict of :func:`backing_chain`
    :returns: a list of lines
    """
    lines = ['%s: %s, virtual size %s, actual size %s' % (
        layer.get('filename', '?'), layer.get('format', '?'),
        human_size(layer.get('virtual-size')),
        human_size(layer.get('actual-size')))]
    backing = layer.get('full-backing-filename') or layer.get(
        'backing-filename')
    if backing:
        lines.append('  backing file: %s (%s)' % (
            backing, layer.get('backing-filename-format', 'format not '
                               'recorded')))
    return lines
