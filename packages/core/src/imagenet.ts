/**
 * ImageNet statistics per RGB channel, on values in [0, 1]: the default normalisation of images for the
 * ResNet encoders, which are trained on ImageNet. Free of Node modules (the browser entry uses it).
 */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
