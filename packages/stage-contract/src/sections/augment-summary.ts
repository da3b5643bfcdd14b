/**
 * One line saying what augmentation a run used, from its stored config (read defensively: an older run's
 * config may lack the fields). Shared by `captioner run show` and the dashboard's run page.
 */
export function describeAugmentation(config: unknown): string {
  const c = config as {
    preprocess?: {
      augment?: { horizontalFlip?: boolean; colorJitter?: number; cropScale?: number; views?: number };
    };
    model?: { encoder?: { trainable?: boolean } };
  } | null;
  const a = c?.preprocess?.augment ?? {};
  const transforms = [
    ...(a.horizontalFlip ? ['horizontal flip (captions mirrored)'] : []),
    ...((a.colorJitter ?? 0) > 0 ? [`colour jitter ${a.colorJitter}`] : []),
    ...((a.cropScale ?? 1) < 1 ? [`crop ${a.cropScale}-1 of the side`] : []),
  ];
  if (transforms.length === 0) return 'off';
  if (c?.model?.encoder?.trainable) return `per batch (fine-tuning): ${transforms.join(', ')}`;
  const views = a.views ?? 1;
  if (views <= 1) return `off (frozen encoder and views 1: ${transforms.join(', ')} not applied)`;
  return `${views} feature views per training image (view 0 plain), one per epoch: ${transforms.join(', ')}`;
}
