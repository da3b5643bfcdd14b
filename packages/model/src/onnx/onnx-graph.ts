import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM loader only sees its default export.
const { onnx } = onnxProto;

/*
 * A small builder over the ONNX protobuf schema (onnx-proto): named float/int64 initializers, nodes with
 * int/ints/float attributes, and the final ModelProto bytes. It knows nothing about tfjs; layers-to-onnx.ts
 * maps layers onto it.
 */

/** The opset the exporter targets: every op used (Conv, BatchNormalization, Pad with input pads, ...) is stable there. */
export const ONNX_OPSET = 13;
/** IR version 8 is the newest onnx-proto 8 encodes; ONNX Runtime 1.x and onnxruntime-web read it. */
const IR_VERSION = 8;

type AttributeValue = number | number[] | { float: number };

export interface ValueInfo {
  name: string;
  /** Dimensions; a string is a symbolic dimension (the batch). */
  dims: (number | string)[];
}

export class OnnxGraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly names = new Set<string>();

  /** A name not used yet, derived from `base`. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Adds a float32 constant and returns its name. */
  floatInitializer(base: string, dims: number[], values: Float32Array): string {
    const name = this.unique(base);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /** Adds an int64 constant (shapes, pads) and returns its name. */
  int64Initializer(base: string, values: number[]): string {
    const name = this.unique(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  node(
    opType: string,
    inputs: string[],
    outputBase: string,
    attributes: Record<string, AttributeValue> = {},
  ): string {
    const output = this.unique(outputBase);
    this.nodes.push({
      opType,
      name: this.unique(`${output}_${opType}`),
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return output;
  }

  /** Encodes the model: `inputs` and `outputs` name values already produced by nodes or reserved with unique(). */
  encode(graphName: string, inputs: ValueInfo[], outputs: ValueInfo[]): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'captioner',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(valueInfo),
        output: outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if (Array.isArray(value)) return { name, type: Type.INTS, ints: value };
  if (typeof value === 'number') return { name, type: Type.INT, i: value };
  return { name, type: Type.FLOAT, f: value.float };
}

function valueInfo(info: ValueInfo): OnnxTypes.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: info.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}
