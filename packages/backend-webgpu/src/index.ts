export {
  useWebGPUBackend,
  type WebGPUBackendOptions,
  type WebGPUChoice,
} from './use-webgpu-backend';
