/**
 * Where the centre crop lies, torchvision style (`Resize(resizeShorterTo)` then `CenterCrop(size)`):
 * the shorter side is scaled to `resizeShorterTo`, the longer side keeps the aspect ratio (floored, as
 * torchvision does), then a `size` x `size` square is cut from the middle, its offsets rounded as
 * torchvision's `center_crop` rounds them: `int(round(d / 2))`, Python's round, half to even (a difference
 * of 119 starts the crop at 60, not 59).
 */
export interface CropGeometry {
  resizedWidth: number;
  resizedHeight: number;
  left: number;
  top: number;
  size: number;
}

export function cropGeometry(
  width: number,
  height: number,
  resizeShorterTo: number,
  size: number,
): CropGeometry {
  if (!(width > 0 && height > 0))
    throw new RangeError(`image dimensions must be positive, got ${width}x${height}`);
  if (resizeShorterTo < size)
    throw new RangeError(`resizeShorterTo ${resizeShorterTo} is below the crop size ${size}`);
  const shorter = Math.min(width, height);
  const longer = Math.max(width, height);
  // The longer side never drops below the crop, even for extreme aspect ratios and rounding.
  const resizedLonger = Math.max(resizeShorterTo, Math.floor((resizeShorterTo * longer) / shorter));
  const resizedWidth = width <= height ? resizeShorterTo : resizedLonger;
  const resizedHeight = width <= height ? resizedLonger : resizeShorterTo;
  return {
    resizedWidth,
    resizedHeight,
    left: halfRoundedToEven(resizedWidth - size),
    top: halfRoundedToEven(resizedHeight - size),
    size,
  };
}

/** `round(d / 2)` for a non-negative integer d, ties to even (Python 3's `round`). */
function halfRoundedToEven(d: number): number {
  const half = Math.floor(d / 2);
  return d % 2 === 1 && half % 2 === 1 ? half + 1 : half;
}
