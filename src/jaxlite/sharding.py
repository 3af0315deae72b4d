"""jax.sharding: nothing to shard in a page (one process, one device per backend)."""

from jaxlite._src.features import not_applicable

_WHY = "a page runs one process with one device per backend; arrays are never split across devices"

Mesh = not_applicable("jax.sharding.Mesh", _WHY)
AbstractMesh = not_applicable("jax.sharding.AbstractMesh", _WHY)
NamedSharding = not_applicable("jax.sharding.NamedSharding", _WHY)
PartitionSpec = not_applicable("jax.sharding.PartitionSpec", _WHY)
SingleDeviceSharding = not_applicable("jax.sharding.SingleDeviceSharding", _WHY)
Sharding = not_applicable("jax.sharding.Sharding", _WHY)
AxisType = not_applicable("jax.sharding.AxisType", _WHY)
get_abstract_mesh = not_applicable("jax.sharding.get_abstract_mesh", _WHY)
get_mesh = not_applicable("jax.sharding.get_mesh", _WHY)
set_mesh = not_applicable("jax.sharding.set_mesh", _WHY)
use_abstract_mesh = not_applicable("jax.sharding.use_abstract_mesh", _WHY)
reshard = not_applicable("jax.sharding.reshard", _WHY)
auto_axes = not_applicable("jax.sharding.auto_axes", _WHY)
explicit_axes = not_applicable("jax.sharding.explicit_axes", _WHY)
make_single_device_sharding = not_applicable("jax.sharding.make_single_device_sharding", _WHY)
