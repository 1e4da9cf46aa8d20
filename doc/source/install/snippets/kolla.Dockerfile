# Build once for nova-compute and once for nova-api:
#   docker build --build-arg IMAGE=quay.io/openstack.kolla/nova-compute:TAG \
#       -t registry.example.com/kolla/nova-compute:TAG-xmlhooks .
ARG IMAGE
FROM ${IMAGE}
USER root
# Kolla installs Nova into this virtualenv, not editable, so the driver
# module lands inside Nova's own package.
RUN /var/lib/kolla/venv/bin/pip install --no-cache-dir 'nova-xmlhooks>=0.1'
COPY xmlhooks.d/ /etc/nova/xmlhooks.d/
USER nova
