#!/bin/bash
#
# nova-xmlhooks DevStack plugin
# =============================
#
# Installs nova-xmlhooks on compute and API hosts and turns it on:
#
# * stack install      checks that nova is a supported series, installs
#                      the package with setup_install (not editable, see
#                      below) on hosts that run n-cpu or n-api, and checks
#                      that nova's version did not change
# * stack post-config  writes compute_driver and the [xmlhooks] options on
#                      compute hosts, the [xmlhooks] options that the extra
#                      spec validation reads on API hosts, and installs the
#                      example profiles
# * stack extra        runs "nova-xmlhooks validate" on the compute's
#                      config, so a broken profile fails the job clearly
# * unstack            nothing: the plugin runs no service of its own
# * clean              removes the example profiles and the package
#
# Enabled with one line in local.conf:
#
#     enable_plugin nova-xmlhooks https://opendev.org/x/nova-xmlhooks

# Save trace setting
_XTRACE_NOVA_XMLHOOKS=$(set +o | grep xtrace)
set +o xtrace


# The Python that runs nova's services.
function _xmlhooks_python {
    if [[ "${GLOBAL_VENV:-False}" == "True" && -n "${DEVSTACK_VENV:-}" ]]; then
        echo "$DEVSTACK_VENV/bin/python3"
    else
        echo "${PYTHON:-python3}"
    fi
}

# Whether this host runs a nova service that needs the package.
function _xmlhooks_needed {
    is_service_enabled n-cpu || is_service_enabled n-api
}

# NOTE(xmlhooks): nova only loads compute drivers named under nova.virt.
# The package registers an import finder that serves nova.virt.xmlhooks
# (see _nova_xmlhooks_shim.py), whichever way nova is installed, DevStack's
# editable install from $DEST/nova included. Stop here if nova's loader
# still cannot find it: nova-compute would not start. find_spec locates the
# module the way "import nova.virt.xmlhooks" would, through every import
# finder, without importing nova's libvirt driver.
function _xmlhooks_check_driver {
    $(_xmlhooks_python) -c 'import importlib.util, sys
sys.exit(importlib.util.find_spec("nova.virt.xmlhooks") is None)' \
        || die $LINENO "nova-xmlhooks: nova cannot find nova.virt.xmlhooks after the install"
}

# NOTE(xmlhooks): the driver overrides private methods of nova's libvirt
# driver, so it is tested against each nova series it supports (the support
# matrix in doc/source/install/support-matrix.rst): nova 29 (2024.1) to 34
# (2026.2).
# 30 (2024.2) is best effort: no upper-constraints file is kept for it. On
# any other series the install stops before pip runs.
_NOVA_XMLHOOKS_SUPPORTED="29:2024.1 30:2024.2 31:2025.1 32:2025.2 33:2026.1 34:2026.2"
_NOVA_XMLHOOKS_BEST_EFFORT="30"

# The installed nova's version, as pip sees it.
function _xmlhooks_nova_version {
    $(_xmlhooks_python) -c 'from importlib import metadata
print(metadata.version("nova"))' 2>/dev/null
}

function _xmlhooks_check_nova {
    local version major entry
    version=$(_xmlhooks_nova_version) \
        || die $LINENO "nova-xmlhooks: nova is not installed for $(_xmlhooks_python)"
    major=${version%%.*}
    for entry in $_NOVA_XMLHOOKS_SUPPORTED; do
        if [[ "${entry%%:*}" == "$major" ]]; then
            if [[ " $_NOVA_XMLHOOKS_BEST_EFFORT " == *" $major "* ]]; then
                echo "nova-xmlhooks: nova $version (${entry#*:}) is supported on a best-effort basis: no CI job tests this series"
            fi
            return 0
        fi
    done
    die $LINENO "nova-xmlhooks supports nova 29 to 34 (2024.1 to 2026.2); this DevStack has nova $version"
}

function install_nova_xmlhooks {
    local before after
    _xmlhooks_check_nova
    before=$(_xmlhooks_nova_version)
    # NOTE(xmlhooks): setup_install, DevStack's installer for a project's
    # own checkout, runs pip with the upper constraints and the extras given.
    # Not setup_develop: the finder is registered by a .pth file that the
    # package's build writes into the wheel (see setup.py), so the plugin
    # installs what a compute host installs.
    setup_install "$NOVA_XMLHOOKS_DIR" ${NOVA_XMLHOOKS_EXTRAS:+"$NOVA_XMLHOOKS_EXTRAS"}
    after=$(_xmlhooks_nova_version)
    if [[ "$after" != "$before" ]]; then
        die $LINENO "nova-xmlhooks: installing it changed nova from $before to $after"
    fi
    _xmlhooks_check_driver
}

# Write the [xmlhooks] options into one config file.
function _xmlhooks_iniset_options {
    local conf=$1
    iniset "$conf" xmlhooks profile_dirs "$NOVA_XMLHOOKS_PROFILE_DIR"
    iniset "$conf" xmlhooks on_error "$NOVA_XMLHOOKS_ON_ERROR"
    if [[ -n "$NOVA_XMLHOOKS_DEFAULT_PROFILES" ]]; then
        iniset "$conf" xmlhooks default_profiles "$NOVA_XMLHOOKS_DEFAULT_PROFILES"
    fi
    if [[ -n "$NOVA_XMLHOOKS_CUSTOMIZERS" ]]; then
        iniset "$conf" xmlhooks customizers "$NOVA_XMLHOOKS_CUSTOMIZERS"
    fi
    if [[ -n "$NOVA_XMLHOOKS_ALLOW_SENSITIVE" ]]; then
        iniset "$conf" xmlhooks allow_sensitive "$NOVA_XMLHOOKS_ALLOW_SENSITIVE"
    fi
    if [[ -n "$NOVA_XMLHOOKS_VALIDATE_SCHEMA" ]]; then
        iniset "$conf" xmlhooks validate_schema "$NOVA_XMLHOOKS_VALIDATE_SCHEMA"
    fi
    if [[ -n "$NOVA_XMLHOOKS_PREFLIGHT_ASKS_LIBVIRT" ]]; then
        iniset "$conf" xmlhooks preflight_asks_libvirt "$NOVA_XMLHOOKS_PREFLIGHT_ASKS_LIBVIRT"
    fi
}

function configure_nova_xmlhooks {
    if is_service_enabled n-cpu; then
        if [[ "${VIRT_DRIVER:-libvirt}" != "libvirt" ]]; then
            die $LINENO "nova-xmlhooks needs VIRT_DRIVER=libvirt, not $VIRT_DRIVER"
        fi
        # NOTE(xmlhooks): DevStack writes $NOVA_CPU_CONF from a copy of
        # $NOVA_CONF when it starts nova-compute, after post-config, so the
        # compute settings go into both files.
        local conf
        for conf in "$NOVA_CONF" "$NOVA_CPU_CONF"; do
            iniset "$conf" DEFAULT compute_driver "$NOVA_XMLHOOKS_COMPUTE_DRIVER"
            _xmlhooks_iniset_options "$conf"
        done
    elif is_service_enabled n-api; then
        # nova-api validates xmlhooks: extra specs with the same customizers
        # and, where it can read them, the same profiles.
        _xmlhooks_iniset_options "$NOVA_CONF"
    fi
}

function install_nova_xmlhooks_profiles {
    if [[ "$NOVA_XMLHOOKS_INSTALL_EXAMPLES" != "True" ]]; then
        return 0
    fi
    sudo install -d -m 0755 "$NOVA_XMLHOOKS_PROFILE_DIR"
    local name
    for name in $NOVA_XMLHOOKS_EXAMPLES; do
        sudo install -m 0644 "$NOVA_XMLHOOKS_DIR/etc/xmlhooks.d/$name.yaml" \
            "$NOVA_XMLHOOKS_PROFILE_DIR/"
    done
}

# Check the compute's configuration and profiles the way the driver reads
# them; every problem is reported, and any stops stack.sh.
function validate_nova_xmlhooks {
    if ! is_service_enabled n-cpu; then
        return 0
    fi
    "$NOVA_BIN_DIR/nova-xmlhooks" validate --config-file "$NOVA_CPU_CONF" \
        || die $LINENO "nova-xmlhooks validate found problems in $NOVA_CPU_CONF"
}

function cleanup_nova_xmlhooks {
    local name
    for name in $NOVA_XMLHOOKS_EXAMPLES; do
        sudo rm -f "$NOVA_XMLHOOKS_PROFILE_DIR/$name.yaml"
    done
    pip_uninstall nova-xmlhooks
}


if _xmlhooks_needed; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing nova-xmlhooks"
        install_nova_xmlhooks
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring nova-xmlhooks"
        configure_nova_xmlhooks
        install_nova_xmlhooks_profiles
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        validate_nova_xmlhooks
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_nova_xmlhooks
    fi
fi

# Restore xtrace
$_XTRACE_NOVA_XMLHOOKS
