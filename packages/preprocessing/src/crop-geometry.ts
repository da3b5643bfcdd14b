/**
 * Where the centre crop lies, torchvision style (`Resize(resizeShorterTo)` then `CenterCrop(size)`):
 * the shorter side is scaled to `resizeShorterTo`, the longer side keeps the aspect ratio (floored, as
 * torchvision does), then a `size` x `size` square is cut from the middle (offsets floored).
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
    left: Math.floor((resizedWidth - size) / 2),
    top: Math.floor((resizedHeight - size) / 2),
    size,
  };
}
