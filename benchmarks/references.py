"""Clean-room re-implementations of the reference projects ganzoo's families are compared with.

Written for the benchmarks from the papers and the projects' published hyper-parameters; no code
copied. Each choice names its source:

* PyTorch-GAN (eriklindernoren): ``implementations/gan/gan.py``, ``dcgan/dcgan.py``, ``lsgan/lsgan.py``;
* pytorch/examples ``dcgan/main.py`` (the 64 px DCGAN of Radford et al., batch 128);
* pytorch-CycleGAN-and-pix2pix (junyanz): ``models/networks.py``, ``pix2pix_model.py``, ``options/``;
* StackGAN-Pytorch (hanzhanggit): ``code/model.py``, ``trainer.py``, ``miscc/config.py`` (Stage-I);
* UGATIT-pytorch (znxlwm): ``networks.py``, ``UGATIT.py``, ``main.py`` (light mode).

The networks are used by ``reference_steps.py`` (speed) and the trainers by ``quality.py`` (what they
learn). A trainer takes float batches in [-1, 1] (``step``) and then draws or translates images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import spectral_norm

#: Adam as every reference here configures it (lr 2e-4, beta1 0.5), unless its trainer says otherwise.
ADAM = {"lr": 2e-4, "betas": (0.5, 0.999)}


def normal_init(module: nn.Module, *, zero_conv_bias: bool = True) -> None:
    """Convolutions ~ N(0, 0.02), BatchNorm scales ~ N(1, 0.02) and shifts 0 (DCGAN's init, which
    pytorch/examples and pix2pix zero the conv biases with; PyTorch-GAN's ``weights_init_normal``
    leaves them at PyTorch's default, hence ``zero_conv_bias``). Linear layers keep PyTorch's init."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None and zero_conv_bias:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


# ----------------------------------------------------------------------------------------------
# PyTorch-GAN: gan.py, dcgan.py, lsgan.py (MNIST)
# ----------------------------------------------------------------------------------------------

def mlp_generator(image_shape: tuple[int, int, int], z_dim: int = 100) -> nn.Module:
    """gan.py: 100 -> 128 -> 256 -> 512 -> 1024 -> pixels, LeakyReLU 0.2; BatchNorm1d on all hidden
    layers but the first, built as ``BatchNorm1d(n, 0.8)`` (that positional 0.8 is eps, kept as shipped)."""
    layers: list[nn.Module] = []
    widths = [z_dim, 128, 256, 512, 1024]
    for index, (inp, out) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(inp, out))
        if index > 0:
            layers.append(nn.BatchNorm1d(out, eps=0.8))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
    layers += [nn.Linear(1024, image_shape[0] * image_shape[1] * image_shape[2]), nn.Tanh(), nn.Unflatten(1, image_shape)]
    return nn.Sequential(*layers)


def mlp_discriminator(image_shape: tuple[int, int, int]) -> nn.Module:
    """gan.py: pixels -> 512 -> 256 -> 1, LeakyReLU 0.2, Sigmoid (for BCELoss); no dropout, no maxout."""
    pixels = image_shape[0] * image_shape[1] * image_shape[2]
    return nn.Sequential(nn.Flatten(), nn.Linear(pixels, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 256),
                         nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 1), nn.Sigmoid())


class UpsampleGenerator(nn.Module):
    """dcgan.py / lsgan.py: Linear z -> 128 x (size/4)^2, BatchNorm, then twice nearest x2 + conv3x3
    + BatchNorm(eps 0.8) + LeakyReLU 0.2 (128, then 64 channels), conv3x3 to the image, tanh."""

    def __init__(self, size: int, channels: int, z_dim: int = 100) -> None:
        super().__init__()
        self.start = size // 4
        self.project = nn.Linear(z_dim, 128 * self.start**2)
        self.convs = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 128, 3, 1, 1), nn.BatchNorm2d(128, eps=0.8), nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 64, 3, 1, 1), nn.BatchNorm2d(64, eps=0.8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, channels, 3, 1, 1), nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.convs(self.project(z).view(len(z), 128, self.start, self.start))


def strided_discriminator(size: int, channels: int, *, sigmoid: bool, spectral: bool = False) -> nn.Module:
    """dcgan.py / lsgan.py: four conv3x3 stride-2 blocks (16, 32, 64, 128 channels), each LeakyReLU 0.2
    then Dropout2d 0.25, BatchNorm(eps 0.8) after the middle two; a Linear to one output, with a
    Sigmoid for dcgan.py's BCELoss and without for lsgan.py's MSELoss. ``spectral``: every conv and
    the Linear spectrally normalised (Miyato et al. 2018), the "SN" of LSGAN-SN."""
    wrap = spectral_norm if spectral else (lambda layer: layer)
    layers: list[nn.Module] = []
    previous = channels
    for width, batch_norm in ((16, False), (32, True), (64, True), (128, False)):
        layers += [wrap(nn.Conv2d(previous, width, 3, 2, 1)), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(width, eps=0.8))
        previous = width
    layers += [nn.Flatten(), wrap(nn.Linear(128 * (size // 16) ** 2, 1))]
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


class PyTorchGanTrainer:
    """The training loop the three PyTorch-GAN scripts share: per batch, first G (fool D: target 1),
    then D on the real batch (target 1) and the same fakes detached (target 0), D's loss halved;
    noise ~ N(0, 1); one Adam (2e-4, 0.5, 0.999) each; BCELoss (gan, dcgan) or MSELoss (lsgan)."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, criterion: nn.Module, z_dim: int = 100) -> None:
        self.G, self.D, self.criterion, self.z_dim = generator, discriminator, criterion, z_dim
        self.opt_g = torch.optim.Adam(generator.parameters(), **ADAM)
        self.opt_d = torch.optim.Adam(discriminator.parameters(), **ADAM)

    def nets(self) -> list[nn.Module]:
        return [self.G, self.D]

    def step(self, batch: dict[str, Tensor]) -> None:
        real = batch["image"]
        ones, zeros = real.new_ones(len(real), 1), real.new_zeros(len(real), 1)
        self.opt_g.zero_grad()
        fake = self.G(torch.randn(len(real), self.z_dim, device=real.device))
        self.criterion(self.D(fake), ones).backward()
        self.opt_g.step()
        self.opt_d.zero_grad()
        d_loss = 0.5 * (self.criterion(self.D(real), ones) + self.criterion(self.D(fake.detach()), zeros))
        d_loss.backward()
        self.opt_d.step()

    @torch.no_grad()
    def draw(self, z: Tensor) -> Tensor:
        """Images from noise as the scripts make their sample grids: G as it trains (batch statistics)."""
        self.G.train()
        return self.G(z)


def pytorch_gan_gan(size: int, channels: int) -> PyTorchGanTrainer:
    """gan.py: the MLP pair, BCELoss, PyTorch's default initialisation (the script sets none)."""
    shape = (channels, size, size)
    return PyTorchGanTrainer(mlp_generator(shape), mlp_discriminator(shape), nn.BCELoss())


def pytorch_gan_dcgan(size: int, channels: int) -> PyTorchGanTrainer:
    """dcgan.py: upsampling G, strided D with Sigmoid, BCELoss, ``weights_init_normal``."""
    generator, discriminator = UpsampleGenerator(size, channels), strided_discriminator(size, channels, sigmoid=True)
    normal_init(generator, zero_conv_bias=False), normal_init(discriminator, zero_conv_bias=False)
    return PyTorchGanTrainer(generator, discriminator, nn.BCELoss())


def pytorch_gan_lsgan_sn(size: int, channels: int) -> PyTorchGanTrainer:
    """lsgan.py (a = 0, b = c = 1: MSE to 0/1 targets, D without Sigmoid) with D spectrally normalised."""
    generator, discriminator = UpsampleGenerator(size, channels), strided_discriminator(size, channels, sigmoid=False, spectral=True)
    normal_init(generator, zero_conv_bias=False), normal_init(discriminator, zero_conv_bias=False)
    return PyTorchGanTrainer(generator, discriminator, nn.MSELoss())


class TextToImageLsganSn:
    """lsgan.py + spectral norm made text-conditional the way Reed et al. (2016, GAN-CLS) condition
    DCGAN, since no published LSGAN-SN text-to-image code exists: the caption embedding is compressed
    to 128 by Linear + LeakyReLU 0.2 (their "projection to 128") and joined to the noise in G; D
    (lsgan.py's strided stack, every layer spectrally normalised) joins its own compressed embedding,
    replicated, to the last feature map by a 1x1 convolution + LeakyReLU before lsgan.py's Linear.
    Per batch, lsgan.py's order: G (fakes to 1), then D with GAN-CLS's matching-aware term, least
    squares in place of the logs: 0.5 x (real|right to 1 + (fake|right to 0 + real|wrong to 0) / 2),
    "wrong" being the batch's captions rolled by one. Adam 2e-4 / 0.5; ``weights_init_normal``.

    ``embed`` (a frozen module) turns the batch's captions into the fixed text embeddings both sides are given."""

    def __init__(self, size: int, embed: nn.Module, text_dim: int, z_dim: int = 100, text_features: int = 128) -> None:
        self.embed, self.z_dim = embed, z_dim
        self.compress_g = nn.Sequential(nn.Linear(text_dim, text_features), nn.LeakyReLU(0.2, inplace=True))
        self.G = UpsampleGenerator(size, 3, z_dim + text_features)
        self.features = strided_discriminator(size, 3, sigmoid=False, spectral=True)[:-2]  # without lsgan.py's Flatten + Linear
        self.compress_d = nn.Sequential(spectral_norm(nn.Linear(text_dim, text_features)), nn.LeakyReLU(0.2, inplace=True))
        self.join = nn.Sequential(spectral_norm(nn.Conv2d(128 + text_features, 128, 1)), nn.LeakyReLU(0.2, inplace=True))
        self.logit = spectral_norm(nn.Linear(128 * (size // 16) ** 2, 1))
        for net in (self.G, self.features, self.join):
            normal_init(net, zero_conv_bias=False)
        generator = [self.compress_g, self.G]
        discriminator = [self.features, self.compress_d, self.join, self.logit]
        self.opt_g = torch.optim.Adam([p for net in generator for p in net.parameters()], **ADAM)
        self.opt_d = torch.optim.Adam([p for net in discriminator for p in net.parameters()], **ADAM)

    def nets(self) -> list[nn.Module]:
        return [self.embed, self.compress_g, self.G, self.features, self.compress_d, self.join, self.logit]

    def generate(self, z: Tensor, embedding: Tensor) -> Tensor:
        return self.G(torch.cat([z, self.compress_g(embedding)], 1))

    def judge(self, image: Tensor, embedding: Tensor) -> Tensor:
        h = self.features(image)
        text = self.compress_d(embedding)[:, :, None, None].expand(-1, -1, *h.shape[2:])
        return self.logit(self.join(torch.cat([h, text], 1)).flatten(1))

    def step(self, batch: dict) -> None:
        real, embedding = batch["image"], self.embed(batch["captions"])
        ones, zeros = real.new_ones(len(real), 1), real.new_zeros(len(real), 1)
        self.opt_g.zero_grad()
        fake = self.generate(torch.randn(len(real), self.z_dim, device=real.device), embedding)
        F.mse_loss(self.judge(fake, embedding), ones).backward()
        self.opt_g.step()
        self.opt_d.zero_grad()
        wrong = F.mse_loss(self.judge(real, embedding.roll(1, 0)), zeros)
        d_loss = 0.5 * (F.mse_loss(self.judge(real, embedding), ones) + 0.5 * (F.mse_loss(self.judge(fake.detach(), embedding), zeros) + wrong))
        d_loss.backward()
        self.opt_d.step()

    @torch.no_grad()
    def draw(self, z: Tensor, captions: list[str]) -> Tensor:
        """As PyTorch-GAN's scripts make their grids: G as it trains (batch statistics)."""
        self.G.train()
        return self.generate(z, self.embed(captions))


# ----------------------------------------------------------------------------------------------
# pytorch/examples DCGAN (64 px)
# ----------------------------------------------------------------------------------------------

def dcgan_generator(z_dim: int = 100, width: int = 64, channels: int = 3) -> nn.Sequential:
    """z [B, 100, 1, 1] -> 4x4x512 -> ... -> 64x64 image through tanh."""
    layers: list[nn.Module] = []
    widths = [z_dim, width * 8, width * 4, width * 2, width]
    for index, (inp, out) in enumerate(zip(widths, widths[1:])):
        stride, padding = (1, 0) if index == 0 else (2, 1)
        layers += [nn.ConvTranspose2d(inp, out, 4, stride, padding, bias=False), nn.BatchNorm2d(out), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def dcgan_discriminator(width: int = 64, channels: int = 3) -> nn.Sequential:
    """64x64 image -> probability of being real (Sigmoid, for BCELoss)."""
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
    for inp, out in ((width, width * 2), (width * 2, width * 4), (width * 4, width * 8)):
        layers += [nn.Conv2d(inp, out, 4, 2, 1, bias=False), nn.BatchNorm2d(out), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(width * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
    return nn.Sequential(*layers)


class ExamplesDcganTrainer:
    """pytorch/examples ``dcgan/main.py``: D on the real batch (target 1) and on the fakes detached
    (target 0), each half back-propagated on its own, one D step; then G (target 1) on the same
    fakes; BCELoss on D's Sigmoid; Adam 2e-4 / 0.5; ``weights_init`` (DCGAN's N(0, 0.02)); its
    sample grids come from ``netG(fixed_noise)`` in train mode (the script never calls ``eval()``)."""

    def __init__(self, channels: int = 3, z_dim: int = 100, width: int = 64) -> None:
        self.G, self.D, self.z_dim = dcgan_generator(z_dim, width, channels), dcgan_discriminator(width, channels), z_dim
        normal_init(self.G), normal_init(self.D)
        self.opt_g = torch.optim.Adam(self.G.parameters(), **ADAM)
        self.opt_d = torch.optim.Adam(self.D.parameters(), **ADAM)
        self.bce = nn.BCELoss()

    def nets(self) -> list[nn.Module]:
        return [self.G, self.D]

    def step(self, batch: dict[str, Tensor]) -> list[float]:
        """One step; returns what the example prints every step (reading them synchronises a GPU, as there):
        Loss_D, Loss_G, D(x), D(G(z)) before and after D's update."""
        real = batch["image"]
        ones, zeros = real.new_ones(len(real)), real.new_zeros(len(real))
        self.opt_d.zero_grad()
        on_real = self.D(real).view(-1)
        loss_real = self.bce(on_real, ones)
        loss_real.backward()
        fake = self.G(torch.randn(len(real), self.z_dim, 1, 1, device=real.device))
        on_fake = self.D(fake.detach()).view(-1)
        loss_fake = self.bce(on_fake, zeros)
        loss_fake.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        on_fake_after = self.D(fake).view(-1)
        loss_g = self.bce(on_fake_after, ones)
        loss_g.backward()
        self.opt_g.step()
        return [(loss_real + loss_fake).item(), loss_g.item(), on_real.mean().item(), on_fake.mean().item(), on_fake_after.mean().item()]

    @torch.no_grad()
    def draw(self, z: Tensor) -> Tensor:
        self.G.train()
        return self.G(z[:, :, None, None])


# ----------------------------------------------------------------------------------------------
# pytorch-CycleGAN-and-pix2pix: pix2pix
# ----------------------------------------------------------------------------------------------

class SkipBlock(nn.Module):
    """One U-Net level: down, the inner levels, up; its input is concatenated to its output
    (except at the outermost level, which returns the image)."""

    def __init__(self, outer: int, inner: int, inside: nn.Module | None, *, input_channels: int | None = None,
                 outermost: bool = False, dropout: bool = False) -> None:
        super().__init__()
        self.outermost = outermost
        source = input_channels if input_channels is not None else outer
        down = nn.Conv2d(source, inner, 4, 2, 1, bias=False)
        if outermost:
            layers = [down, inside, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif inside is None:  # innermost: no inner levels, no skip below
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down, nn.BatchNorm2d(inner), inside, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def unet(downsamplings: int, in_channels: int = 3, out_channels: int = 3, width: int = 64) -> nn.Module:
    """``unet_256`` (8 downsamplings) or ``unet_128`` (7): the ``downsamplings - 5`` width-x8 levels
    under the innermost use dropout 0.5."""
    block = SkipBlock(width * 8, width * 8, None)
    for _ in range(downsamplings - 5):
        block = SkipBlock(width * 8, width * 8, block, dropout=True)
    for scale in (4, 2, 1):
        block = SkipBlock(width * scale, width * scale * 2, block)
    return SkipBlock(out_channels, width, block, input_channels=in_channels, outermost=True)


def patchgan_70(in_channels: int = 6, width: int = 64) -> nn.Sequential:
    """C64-C128-C256-C512 then a 1-channel convolution: a map of 70x70 patch logits."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    previous = width
    for index, stride in ((1, 2), (2, 2), (3, 1)):
        current = width * min(2**index, 8)
        layers += [nn.Conv2d(previous, current, 4, stride, 1, bias=False), nn.BatchNorm2d(current), nn.LeakyReLU(0.2, True)]
        previous = current
    layers.append(nn.Conv2d(previous, 1, 4, 1, 1))
    return nn.Sequential(*layers)


def linear_decay(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """pix2pix's ``lr_policy linear``: constant for ``n_epochs`` (100), then to zero over
    ``n_epochs_decay`` (100): here the same halves of ``steps``."""
    half = steps / 2
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - max(0.0, step - half) / (half + 1))


class Pix2PixTrainer:
    """pix2pix_model.py: D on (source, output) pairs, ``gan_mode vanilla`` (BCE with logits), D's loss
    halved; G: GAN + 100 x L1; Adam 2e-4 / 0.5; batch 1; BatchNorm; the linear decay above; at test
    time the model stays in train mode (``test.py`` calls ``eval()`` only with ``--eval``), one image
    at a time, dropout on."""

    def __init__(self, downsamplings: int, width: int, steps: int) -> None:
        self.G, self.D = unet(downsamplings, width=width), patchgan_70(width=width)
        normal_init(self.G), normal_init(self.D)  # init_type normal, gain 0.02
        self.opt_g = torch.optim.Adam(self.G.parameters(), **ADAM)
        self.opt_d = torch.optim.Adam(self.D.parameters(), **ADAM)
        self.schedules = [linear_decay(self.opt_g, steps), linear_decay(self.opt_d, steps)]
        self.bce, self.l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()

    def nets(self) -> list[nn.Module]:
        return [self.G, self.D]

    def gan_loss(self, logits: Tensor, real: bool) -> Tensor:
        return self.bce(logits, torch.full_like(logits, 1.0 if real else 0.0))

    def step(self, batch: dict[str, Tensor]) -> None:
        source, target = batch["source"], batch["image"]
        output = self.G(source)
        self.D.requires_grad_(True)
        self.opt_d.zero_grad()
        fake_loss = self.gan_loss(self.D(torch.cat([source, output.detach()], 1)), False)
        real_loss = self.gan_loss(self.D(torch.cat([source, target], 1)), True)
        (0.5 * (fake_loss + real_loss)).backward()
        self.opt_d.step()
        self.D.requires_grad_(False)
        self.opt_g.zero_grad()
        (self.gan_loss(self.D(torch.cat([source, output], 1)), True) + 100.0 * self.l1(output, target)).backward()
        self.opt_g.step()
        for schedule in self.schedules:
            schedule.step()

    @torch.no_grad()
    def translate(self, source: Tensor) -> Tensor:
        self.G.train()
        return torch.cat([self.G(image[None]) for image in source])


# ----------------------------------------------------------------------------------------------
# StackGAN-Pytorch (hanzhanggit): Stage-I
# ----------------------------------------------------------------------------------------------

def stackgan_init(module: nn.Module) -> None:
    """``weights_init`` of StackGAN-Pytorch's utils: conv and linear weights ~ N(0, 0.02), linear
    biases 0, BatchNorm scales ~ N(1, 0.02) and shifts 0."""
    normal_init(module)
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def up_block(inp: int, out: int) -> nn.Sequential:
    """model.py ``upBlock``: nearest x2, conv3x3 without bias, BatchNorm, ReLU."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(inp, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(True))


class StageOneG(nn.Module):
    """model.py ``STAGE1_G``: conditioning augmentation (Linear text -> 2 x 128 then ReLU, split
    into mu and log-variance, c = mu + sigma * eps), fc [z, c] -> 8 gf x 4 x 4 (no bias, BatchNorm1d,
    ReLU), four ``upBlock``s halving the width, conv3x3 to RGB, tanh."""

    def __init__(self, text_dim: int, gf_dim: int, condition_dim: int = 128, z_dim: int = 100) -> None:
        super().__init__()
        self.condition_dim, self.z_dim, width = condition_dim, z_dim, gf_dim * 8
        self.ca = nn.Linear(text_dim, condition_dim * 2)
        self.fc = nn.Sequential(nn.Linear(z_dim + condition_dim, width * 16, bias=False), nn.BatchNorm1d(width * 16), nn.ReLU(True),
                                nn.Unflatten(1, (width, 4, 4)))
        self.up = nn.Sequential(*(up_block(width >> i, width >> (i + 1)) for i in range(4)))
        self.image = nn.Sequential(nn.Conv2d(width >> 4, 3, 3, 1, 1, bias=False), nn.Tanh())

    def forward(self, embedding: Tensor, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = F.relu(self.ca(embedding)).chunk(2, dim=1)
        c = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.image(self.up(self.fc(torch.cat([z, c], 1)))), mu, logvar


class StageOneD(nn.Module):
    """model.py ``STAGE1_D``: 64 px -> 8 df x 4 x 4 (conv4 s2 without bias; BatchNorm from the second;
    LeakyReLU 0.2), then ``D_GET_LOGITS``: the condition code replicated 4x4 and joined, conv3x3,
    BatchNorm, LeakyReLU, conv4 s4 to one value, Sigmoid."""

    def __init__(self, df_dim: int, condition_dim: int = 128) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, df_dim, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for scale in (1, 2, 4):
            layers += [nn.Conv2d(df_dim * scale, df_dim * scale * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(df_dim * scale * 2),
                       nn.LeakyReLU(0.2, True)]
        self.encode = nn.Sequential(*layers)
        self.logits = nn.Sequential(nn.Conv2d(df_dim * 8 + condition_dim, df_dim * 8, 3, 1, 1, bias=False), nn.BatchNorm2d(df_dim * 8),
                                    nn.LeakyReLU(0.2, True), nn.Conv2d(df_dim * 8, 1, 4, 4), nn.Sigmoid())

    def forward(self, image: Tensor) -> Tensor:
        return self.encode(image)

    def judge(self, features: Tensor, condition: Tensor) -> Tensor:
        return self.logits(torch.cat([features, condition[:, :, None, None].expand(-1, -1, 4, 4)], 1)).view(-1)


class StackGanStageOneTrainer:
    """trainer.py ``GANTrainer.train`` for Stage-I: fakes from (embedding, z ~ N(0, 1)); D first:
    BCE(real | mu) + (BCE(fake | mu) + BCE(real image with the next image's mu, "wrong")) / 2, with
    mu detached; then G: BCE(D(fake | mu), real) + 2 x KL(mu, sigma) (``TRAIN.COEFF.KL``); Adam 2e-4 /
    0.5 for both; batch 64; ``weights_init``. Samples are drawn in eval mode (``sample`` calls ``eval()``).

    ``embed`` (a frozen module) turns the batch's captions into the fixed text embeddings both sides are given."""

    def __init__(self, gf_dim: int, df_dim: int, embed: nn.Module, text_dim: int) -> None:
        self.G, self.D, self.embed = StageOneG(text_dim, gf_dim), StageOneD(df_dim), embed
        self.z_dim = self.G.z_dim
        stackgan_init(self.G), stackgan_init(self.D)
        self.opt_g = torch.optim.Adam(self.G.parameters(), **ADAM)
        self.opt_d = torch.optim.Adam(self.D.parameters(), **ADAM)
        self.bce = nn.BCELoss()

    def nets(self) -> list[nn.Module]:
        return [self.G, self.D, self.embed]

    def step(self, batch: dict) -> None:
        real, embedding = batch["image"], self.embed(batch["captions"])
        ones, zeros = real.new_ones(len(real)), real.new_zeros(len(real))
        fake, mu, logvar = self.G(embedding, torch.randn(len(real), self.z_dim, device=real.device))
        condition = mu.detach()
        self.opt_d.zero_grad()
        real_features, fake_features = self.D(real), self.D(fake.detach())
        real_loss = self.bce(self.D.judge(real_features, condition), ones)
        wrong_loss = self.bce(self.D.judge(real_features[:-1], condition[1:]), zeros[1:])
        fake_loss = self.bce(self.D.judge(fake_features, condition), zeros)
        (real_loss + 0.5 * (fake_loss + wrong_loss)).backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean()
        (self.bce(self.D.judge(self.D(fake), condition), ones) + 2.0 * kl).backward()
        self.opt_g.step()

    @torch.no_grad()
    def draw(self, z: Tensor, captions: list[str]) -> Tensor:
        self.G.eval()
        return self.G(self.embed(captions), z)[0]


# ----------------------------------------------------------------------------------------------
# UGATIT-pytorch (znxlwm): light mode
# ----------------------------------------------------------------------------------------------

def instance_layer_mix(x: Tensor, rho: Tensor, eps: float = 1e-5) -> Tensor:
    """``rho`` x instance-normalised + (1 - rho) x layer-normalised ``x`` (networks.py adaILN / ILN;
    unbiased variances, as ``torch.var`` computes them there)."""
    instance = (x - x.mean((2, 3), keepdim=True)) / (x.var((2, 3), keepdim=True) + eps).sqrt()
    layer = (x - x.mean((1, 2, 3), keepdim=True)) / (x.var((1, 2, 3), keepdim=True) + eps).sqrt()
    return rho * instance + (1 - rho) * layer


class AdaILN(nn.Module):
    """adaILN: the mix with rho starting at 0.9, scaled and shifted by gamma and beta from the CAM features."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.rho = nn.Parameter(torch.full((1, width, 1, 1), 0.9))

    def forward(self, x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
        return instance_layer_mix(x, self.rho) * gamma[:, :, None, None] + beta[:, :, None, None]


class ILN(nn.Module):
    """ILN (decoder up-sampling): rho starting at 0, learned gamma 1 and beta 0."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.rho = nn.Parameter(torch.zeros(1, width, 1, 1))
        self.gamma = nn.Parameter(torch.ones(1, width, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, width, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return instance_layer_mix(x, self.rho) * self.gamma + self.beta


def padded_conv(inp: int, out: int, kernel: int, stride: int = 1, *, bias: bool = False) -> list[nn.Module]:
    return [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(inp, out, kernel, stride, 0, bias=bias)]


class ClassActivation(nn.Module):
    """The CAM block of G and D: global average- and max-pooled features scored by two bias-free
    Linears (the auxiliary logits); the features re-weighted by those Linears' weights, joined and
    fused by a 1x1 conv. D's Linears are spectrally normalised, but the re-weighting reads
    ``parameters()[0]``, which is then the un-normalised weight: kept as shipped."""

    def __init__(self, width: int, spectral: bool, slope: float) -> None:
        super().__init__()
        wrap = spectral_norm if spectral else (lambda layer: layer)
        self.gap_fc, self.gmp_fc = wrap(nn.Linear(width, 1, bias=False)), wrap(nn.Linear(width, 1, bias=False))
        self.fuse = nn.Conv2d(width * 2, width, 1, 1)
        self.slope = slope

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        gap_logit = self.gap_fc(x.mean((2, 3)))
        gmp_logit = self.gmp_fc(x.amax((2, 3)))
        gap_weight, gmp_weight = next(self.gap_fc.parameters()), next(self.gmp_fc.parameters())
        joined = torch.cat([x * gap_weight[:, :, None, None], x * gmp_weight[:, :, None, None]], 1)
        return F.leaky_relu(self.fuse(joined), self.slope), torch.cat([gap_logit, gmp_logit], 1)


class LightGenerator(nn.Module):
    """networks.py ``ResnetGenerator(light=True)``: reflection-padded conv7 + InstanceNorm + ReLU, two
    stride-2 downsamplings, ``n_blocks`` residual blocks (InstanceNorm), CAM; light mode's gamma/beta
    MLP reads the globally pooled CAM features; ``n_blocks`` adaILN residual blocks, two nearest x2
    upsamplings with ILN, conv7, tanh. No custom initialisation."""

    def __init__(self, width: int, n_blocks: int) -> None:
        super().__init__()
        deep = width * 4
        down: list[nn.Module] = [*padded_conv(3, width, 7), nn.InstanceNorm2d(width), nn.ReLU(True)]
        for scale in (1, 2):
            down += [*padded_conv(width * scale, width * scale * 2, 3, 2), nn.InstanceNorm2d(width * scale * 2), nn.ReLU(True)]
        for _ in range(n_blocks):
            down.append(Residual(nn.Sequential(*padded_conv(deep, deep, 3), nn.InstanceNorm2d(deep), nn.ReLU(True),
                                               *padded_conv(deep, deep, 3), nn.InstanceNorm2d(deep))))
        self.down = nn.Sequential(*down)
        self.cam = ClassActivation(deep, spectral=False, slope=0.0)
        self.mlp = nn.Sequential(nn.Linear(deep, deep, bias=False), nn.ReLU(True), nn.Linear(deep, deep, bias=False), nn.ReLU(True))
        self.gamma, self.beta = nn.Linear(deep, deep, bias=False), nn.Linear(deep, deep, bias=False)
        self.blocks = nn.ModuleList(AdaILNBlock(deep) for _ in range(n_blocks))
        up: list[nn.Module] = []
        for scale in (4, 2):
            up += [nn.Upsample(scale_factor=2, mode="nearest"), *padded_conv(width * scale, width * scale // 2, 3), ILN(width * scale // 2),
                   nn.ReLU(True)]
        self.up = nn.Sequential(*up, *padded_conv(width, 3, 7), nn.Tanh())

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features, cam_logit = self.cam(self.down(x))
        style = self.mlp(features.mean((2, 3)))
        gamma, beta = self.gamma(style), self.beta(style)
        for block in self.blocks:
            features = block(features, gamma, beta)
        return self.up(features), cam_logit


class Residual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class AdaILNBlock(nn.Module):
    """``ResnetAdaILNBlock``: pad, conv3x3, adaILN, ReLU, pad, conv3x3, adaILN, plus the input."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Sequential(*padded_conv(width, width, 3)), nn.Sequential(*padded_conv(width, width, 3))
        self.norm1, self.norm2 = AdaILN(width), AdaILN(width)

    def forward(self, x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
        out = F.relu(self.norm1(self.conv1(x), gamma, beta))
        return x + self.norm2(self.conv2(out), gamma, beta)


class UgatitDiscriminator(nn.Module):
    """networks.py ``Discriminator``: spectrally normalised reflection-padded conv4s, LeakyReLU 0.2,
    ``n_layers - 2`` of stride 2 then one of stride 1 (global: 7 layers, local: 5 at 256 px), CAM,
    and a final conv4 to a map of logits; no custom initialisation."""

    def __init__(self, width: int, n_layers: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), spectral_norm(nn.Conv2d(3, width, 4, 2, 0)), nn.LeakyReLU(0.2, True)]
        for index in range(1, n_layers - 2):
            scale = 2 ** (index - 1)
            layers += [nn.ReflectionPad2d(1), spectral_norm(nn.Conv2d(width * scale, width * scale * 2, 4, 2, 0)), nn.LeakyReLU(0.2, True)]
        scale = 2 ** (n_layers - 3)
        layers += [nn.ReflectionPad2d(1), spectral_norm(nn.Conv2d(width * scale, width * scale * 2, 4, 1, 0)), nn.LeakyReLU(0.2, True)]
        self.model = nn.Sequential(*layers)
        self.cam = ClassActivation(width * scale * 2, spectral=True, slope=0.2)
        self.out = nn.Sequential(nn.ReflectionPad2d(1), spectral_norm(nn.Conv2d(width * scale * 2, 1, 4, 1, 0, bias=False)))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features, cam_logit = self.cam(self.model(x))
        return self.out(features), cam_logit


class UgatitTrainer:
    """UGATIT.py ``train`` (light): D first, then G, each on LSGAN (MSE to 1/0) for the global and
    local discriminators' logits and CAM logits of both domains (weight 1); G adds cycle L1 x 10,
    identity L1 x 10 and the generators' CAM BCE x 1000; Adam 1e-4 / (0.5, 0.999) with weight
    decay 1e-4; rho clipped to [0, 1] after each G step; the learning rate decayed linearly to 0
    over the second half; batch 1. Translates in eval mode (``test`` calls ``eval()``)."""

    def __init__(self, width: int, n_blocks: int, global_layers: int, local_layers: int, steps: int) -> None:
        self.gen_ab, self.gen_ba = LightGenerator(width, n_blocks), LightGenerator(width, n_blocks)
        self.disc = {name: UgatitDiscriminator(width, layers) for name, layers in
                     (("ga", global_layers), ("la", local_layers), ("gb", global_layers), ("lb", local_layers))}
        adam = {"lr": 1e-4, "betas": (0.5, 0.999), "weight_decay": 1e-4}
        self.opt_g = torch.optim.Adam([*self.gen_ab.parameters(), *self.gen_ba.parameters()], **adam)
        self.opt_d = torch.optim.Adam([p for d in self.disc.values() for p in d.parameters()], **adam)
        half = steps // 2
        self.schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 - max(0, step - half) / max(half, 1))
                          for opt in (self.opt_g, self.opt_d)]

    def nets(self) -> list[nn.Module]:
        return [self.gen_ab, self.gen_ba, *self.disc.values()]

    def adversarial(self, domain: str, image: Tensor, target: float) -> Tensor:
        """LSGAN terms of domain ``a`` or ``b``'s global and local discriminators (logits and CAM logits)."""
        total = image.new_zeros(())
        for scale in ("g", "l"):
            for logits in self.disc[scale + domain](image):
                total = total + F.mse_loss(logits, torch.full_like(logits, target))
        return total

    def step(self, batch: dict[str, Tensor]) -> None:
        real_a, real_b = batch["a"], batch["b"]
        self.opt_d.zero_grad()
        with torch.no_grad():
            fake_ab, fake_ba = self.gen_ab(real_a)[0], self.gen_ba(real_b)[0]
        d_loss = (self.adversarial("a", real_a, 1.0) + self.adversarial("a", fake_ba, 0.0)
                  + self.adversarial("b", real_b, 1.0) + self.adversarial("b", fake_ab, 0.0))
        d_loss.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        fake_ab, cam_ab = self.gen_ab(real_a)
        fake_ba, cam_ba = self.gen_ba(real_b)
        fake_aa, cam_aa = self.gen_ba(real_a)
        fake_bb, cam_bb = self.gen_ab(real_b)
        cycle = F.l1_loss(self.gen_ba(fake_ab)[0], real_a) + F.l1_loss(self.gen_ab(fake_ba)[0], real_b)
        identity = F.l1_loss(fake_aa, real_a) + F.l1_loss(fake_bb, real_b)
        cam = sum(F.binary_cross_entropy_with_logits(logit, torch.full_like(logit, target))
                  for logit, target in ((cam_ba, 1.0), (cam_aa, 0.0), (cam_ab, 1.0), (cam_bb, 0.0)))
        g_loss = self.adversarial("a", fake_ba, 1.0) + self.adversarial("b", fake_ab, 1.0) + 10 * cycle + 10 * identity + 1000 * cam
        g_loss.backward()
        self.opt_g.step()
        with torch.no_grad():
            for module in (*self.gen_ab.modules(), *self.gen_ba.modules()):
                if isinstance(module, (AdaILN, ILN)):
                    module.rho.clamp_(0, 1)
        for schedule in self.schedules:
            schedule.step()

    @torch.no_grad()
    def translate(self, source: Tensor) -> Tensor:
        """Domain a -> b."""
        self.gen_ab.eval()
        return self.gen_ab(source)[0]
